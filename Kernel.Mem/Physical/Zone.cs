using System.Runtime.CompilerServices;

namespace Kernel.Mem.Physical;

/// <summary>
/// Where each zone lies, and a snapshot of one zone's statistics as the frame allocator reports them.
/// </summary>
public readonly struct Zone
{
    /// <summary>How many zones there are; <see cref="ZoneId"/> values run from 0 to Count - 1.</summary>
    public const int Count = 3;

    /// <summary>ISA DMA has 24 address lines.</summary>
    public const ulong DmaEnd = 16 * MemConstants.MiB;

    /// <summary>The reach of a 32-bit DMA address.</summary>
    public const ulong Dma32End = 4 * MemConstants.GiB;

    public Zone(ZoneId id, ulong totalFrames, ulong freeFrames, ulong largestFreeBlockFrames)
    {
        Id = id;
        TotalFrames = totalFrames;
        FreeFrames = freeFrames;
        LargestFreeBlockFrames = largestFreeBlockFrames;
    }

    public ZoneId Id { get; }

    public string Name => NameOf(Id);

    public ulong Start => StartOf(Id);

    public ulong End => EndOf(Id);

    /// <summary>Frames of this zone that the allocator manages (free or handed out).</summary>
    public ulong TotalFrames { get; }

    public ulong FreeFrames { get; }

    public ulong AllocatedFrames => TotalFrames - FreeFrames;

    /// <summary>
    /// The largest free buddy block, in frames: the longest run the allocator's fast path can serve from
    /// this zone. Longer runs of adjacent free blocks are found by its slower mem_map scan.
    /// </summary>
    public ulong LargestFreeBlockFrames { get; }

    /// <summary>The zone the byte at <paramref name="physical"/> belongs to.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ZoneId Of(ulong physical)
    {
        if (physical < DmaEnd)
        {
            return ZoneId.Dma;
        }
        return physical < Dma32End ? ZoneId.Dma32 : ZoneId.Normal;
    }

    public static ulong StartOf(ZoneId id)
    {
        switch (id)
        {
            case ZoneId.Dma:
                return 0;
            case ZoneId.Dma32:
                return DmaEnd;
            default:
                return Dma32End;
        }
    }

    /// <summary>The first address past the zone; Normal ends at the architectural physical-address limit.</summary>
    public static ulong EndOf(ZoneId id)
    {
        switch (id)
        {
            case ZoneId.Dma:
                return DmaEnd;
            case ZoneId.Dma32:
                return Dma32End;
            default:
                return MemoryMap.PhysicalAddressLimit;
        }
    }

    public static string NameOf(ZoneId id)
    {
        switch (id)
        {
            case ZoneId.Dma:
                return "DMA";
            case ZoneId.Dma32:
                return "DMA32";
            case ZoneId.Normal:
                return "Normal";
            default:
                return "unknown";
        }
    }
}
