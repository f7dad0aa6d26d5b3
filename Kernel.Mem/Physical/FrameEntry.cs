using System.Runtime.CompilerServices;

namespace Kernel.Mem.Physical;

/// <summary>
/// One entry of the frame allocator's mem_map: 8 bytes per frame, packed into one ulong.
/// <code>
///  63  62..60  59..56  55..28  27..0
/// [ 0 | state | order |  prev |  next ]   FreeHead
/// [ 0 | state |   0   |      tag      ]   Allocated
/// [ 0 | state |   0   |   0   |  next ]   Cached
/// [ 0 | state |   0   |       0       ]   Free, Reserved
/// </code>
/// Links are indices into the mem_map (frame number minus the first managed frame), 28 bits each, so one
/// allocator spans at most 2^28 - 1 frames (1 TiB). Order and links mean something only in a
/// <see cref="FrameState.FreeHead"/> entry. An allocated frame has no links, so its owner may keep a
/// <see cref="FrameTag"/> in those bits; the entry written when the frame is freed erases it.
/// </summary>
public readonly struct FrameEntry
{
    public const int SizeInBytes = 8;

    /// <summary>The link value that ends a free list; also one more than the largest index.</summary>
    public const uint NoFrame = (1u << LinkBits) - 1;

    private const int LinkBits = 28;
    private const ulong LinkMask = (1UL << LinkBits) - 1;
    private const int PrevShift = LinkBits;
    private const int OrderShift = 2 * LinkBits;
    private const ulong OrderMask = 0xF;
    private const int StateShift = OrderShift + 4;
    private const ulong StateMask = 0x7;

    // Does not compile (a negative byte constant) if a tag no longer fits in the two links.
    private const byte TagFitsInLinks = 2 * LinkBits - FrameTag.Bits;

    private readonly ulong _value;

    private FrameEntry(ulong value) => _value = value;

    public FrameState State
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (FrameState)((_value >> StateShift) & StateMask);
    }

    public int Order
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)((_value >> OrderShift) & OrderMask);
    }

    public uint Next
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (uint)(_value & LinkMask);
    }

    public uint Prev
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (uint)((_value >> PrevShift) & LinkMask);
    }

    /// <summary>The owner's tag; meaningful only in an <see cref="FrameState.Allocated"/> entry.</summary>
    public ulong Tag
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _value & FrameTag.Mask;
    }

    /// <summary>True when every bit but the state is clear: no order, links or tag left behind.</summary>
    public bool IsStateAlone
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_value & ~(StateMask << StateShift)) == 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FrameEntry Of(FrameState state) => new FrameEntry((ulong)state << StateShift);

    /// <summary>An allocated frame carrying <paramref name="tag"/>, cut to <see cref="FrameTag.Bits"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FrameEntry Allocated(ulong tag)
        => new FrameEntry(((ulong)FrameState.Allocated << StateShift) | (tag & FrameTag.Mask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FrameEntry FreeHead(int order, uint next, uint prev)
        => new FrameEntry(((ulong)FrameState.FreeHead << StateShift)
            | (((ulong)order & OrderMask) << OrderShift)
            | (((ulong)prev & LinkMask) << PrevShift)
            | ((ulong)next & LinkMask));

    /// <summary>A frame in its zone's cache of single frames, linked to the next one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FrameEntry Cached(uint next)
        => new FrameEntry(((ulong)FrameState.Cached << StateShift) | ((ulong)next & LinkMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FrameEntry WithNext(uint next) => new FrameEntry((_value & ~LinkMask) | ((ulong)next & LinkMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FrameEntry WithPrev(uint prev)
        => new FrameEntry((_value & ~(LinkMask << PrevShift)) | (((ulong)prev & LinkMask) << PrevShift));
}
