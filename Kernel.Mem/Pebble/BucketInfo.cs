namespace Kernel.Mem.Pebble;

/// <summary>One line of the bucket dump: a snapshot taken under the bucket's lock.</summary>
public readonly struct BucketInfo
{
    /// <summary>The memory type: Physical or Virtual, at most one Below flag, Persistent.</summary>
    public PebbleFlags Type { get; init; }

    /// <summary>BestFit, or None for first fit.</summary>
    public PebbleFlags Policy { get; init; }

    public ulong VirtualStart { get; init; }

    public ulong VirtualEnd { get; init; }

    /// <summary>
    /// Contiguous buckets: the frame run. Virtual buckets: from the lowest frame to the end of the highest,
    /// which bounds every frame of the bucket but is not itself contiguous.
    /// </summary>
    public ulong PhysicalStart { get; init; }

    public ulong PhysicalEnd { get; init; }

    public bool IsContiguous { get; init; }

    public ulong Pages { get; init; }

    public uint PebblesInUse { get; init; }

    public uint FreePebbles { get; init; }

    public ulong RequestedInUse { get; init; }

    public ulong LargestFree { get; init; }

    /// <summary>The boundary the run was allocated under, 0 for none.</summary>
    public ulong RunBoundary { get; init; }
}
