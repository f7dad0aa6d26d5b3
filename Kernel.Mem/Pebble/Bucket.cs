using System.Runtime.InteropServices;

namespace Kernel.Mem.Pebble;

/// <summary>
/// The header at the start of every bucket: a run of pages of one memory type holding an address-ordered
/// list of pebbles that tiles the rest of the bucket exactly. It lives in the bucket's own memory and is
/// reached through the bucket's virtual address (for a physically contiguous bucket, the direct-map address
/// of its run). Buckets form a doubly linked list ordered by virtual address.
/// </summary>
/// <remarks>
/// The list links, <see cref="Magic"/> and the type are protected by the heap lock; the pebble list and the
/// counters by <see cref="Lock"/>. <see cref="LargestFree"/> counts free pebbles only.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct Bucket
{
    /// <summary>'BUCK' as the bytes read in memory order.</summary>
    public const uint ValidMagic = 'B' | ('U' << 8) | ('C' << 16) | ('K' << 24);

    /// <summary>Written over the magic when the bucket is released, so a stale pointer never finds it valid.</summary>
    public const uint ReleasedMagic = 0;

    /// <summary>The header's size; a multiple of the pebble granule so the first pebble header stays aligned.</summary>
    public const ulong HeaderBytes = 128;

    public uint Magic;

    /// <summary>The bucket's lock word (see <see cref="IInterruptLock"/>).</summary>
    public uint Lock;

    /// <summary>The memory type: Physical or Virtual, at most one Below flag, Persistent.</summary>
    public PebbleFlags Type;

    /// <summary>BestFit or None (first fit).</summary>
    public PebbleFlags Policy;

    public uint Pages;

    /// <summary>The address this header lives at; checked against the list link that led here.</summary>
    public ulong Virtual;

    /// <summary>Physically contiguous buckets: the first byte of the frame run. Virtual buckets: the lowest frame.</summary>
    public ulong PhysicalStart;

    /// <summary>Physically contiguous buckets: the end of the run. Virtual buckets: the end of the highest frame.</summary>
    public ulong PhysicalEnd;

    /// <summary>Virtual address of the previous and next bucket header, 0 at the ends.</summary>
    public ulong Previous;

    public ulong Next;

    /// <summary>The block size (header included) of the largest free pebble; 0 when none is free.</summary>
    public ulong LargestFree;

    /// <summary>The sum of the sizes requested by the pebbles in use.</summary>
    public ulong RequestedInUse;

    /// <summary>The block bytes (headers included) of the pebbles in use.</summary>
    public ulong BlockBytesInUse;

    public uint PebblesInUse;

    public uint FreePebbles;

    /// <summary>The boundary the frame run was allocated under (0 for none): no pebble of the bucket can cross it.</summary>
    public ulong RunBoundary;

    private ulong _reserved0;
    private ulong _reserved1;
    private ulong _reserved2;
    private ulong _reserved3;

    public ulong Bytes => (ulong)Pages << MemConstants.PageShift;

    public bool IsContiguous => (Type & PebbleFlags.Physical) != 0;

    public bool IsPersistent => (Type & PebbleFlags.Persistent) != 0;
}
