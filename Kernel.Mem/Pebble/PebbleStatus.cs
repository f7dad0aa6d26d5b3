namespace Kernel.Mem.Pebble;

/// <summary>The outcome of a pebble allocator operation. Every failure leaves the heap as it was.</summary>
public enum PebbleStatus
{
    Ok,

    /// <summary>Free of null: accepted and harmless, nothing changes.</summary>
    NullPointer,

    /// <summary>No bucket could hold the request and no frames (or bucket address space) were left for a new one.</summary>
    OutOfMemory,

    /// <summary>
    /// No machine could meet the request: size 0, unknown flags, an alignment or boundary that is not a power of
    /// two, an alignment above 1 MiB, a boundary smaller than the size, or a bucket larger than 1 GiB.
    /// </summary>
    InvalidRequest,

    /// <summary>The pointer lies in no bucket of this allocator.</summary>
    ForeignPointer,

    /// <summary>The pointer lies in a bucket but does not start a pebble (an interior or misaligned pointer).</summary>
    InvalidPointer,

    /// <summary>
    /// The pointer starts a pebble that is already free, or points into free memory where a pebble was before
    /// it was merged away: a double free.
    /// </summary>
    DoubleFree,

    /// <summary>
    /// The pointer starts a pebble in use by another owner: only the owner frees (or reallocates) it, so a
    /// driver's buffer cannot be taken away from under the device.
    /// </summary>
    NotOwner,

    /// <summary>A bucket or pebble header failed its consistency checks: memory was overwritten.</summary>
    Corrupted,
}
