namespace Kernel.Mem.Pebble;

/// <summary>A snapshot of the pebble allocator: occupancy gathered under the locks, and lifetime counters.</summary>
public readonly struct PebbleStatistics
{
    public int Buckets { get; init; }

    /// <summary>All bucket memory, headers included.</summary>
    public ulong BucketBytes { get; init; }

    public ulong PebblesInUse { get; init; }

    public ulong FreePebbles { get; init; }

    /// <summary>What callers asked for, summed over the pebbles in use.</summary>
    public ulong RequestedBytes { get; init; }

    /// <summary>Usable bytes of the pebbles in use (requests rounded up, alignment tails kept).</summary>
    public ulong CapacityInUse { get; init; }

    /// <summary>Block bytes of the free pebbles, headers included.</summary>
    public ulong FreeBytes { get; init; }

    /// <summary>The largest free pebble (block bytes) of any bucket.</summary>
    public ulong LargestFree { get; init; }

    /// <summary>Bucket headers plus the headers of every pebble, free or in use.</summary>
    public ulong HeaderBytes { get; init; }

    public ulong Allocations { get; init; }

    public ulong FailedAllocations { get; init; }

    public ulong Frees { get; init; }

    public ulong Reallocations { get; init; }

    public ulong BucketsCreated { get; init; }

    public ulong BucketsReleased { get; init; }

    public ulong DoubleFrees { get; init; }

    public ulong ForeignPointers { get; init; }

    public ulong InvalidPointers { get; init; }

    /// <summary>Frees and reallocs refused because the pebble belongs to another owner.</summary>
    public ulong NotOwner { get; init; }

    public ulong Corruptions { get; init; }
}
