namespace Kernel.Mem.Physical;

/// <summary>
/// The outcome of returning frames. Every value but <see cref="Ok"/> is a bug in the caller: the
/// allocator reports it, counts it, and changes nothing.
/// </summary>
public enum FrameFreeStatus
{
    Ok,

    /// <summary>A frame is already free: a double free, or a frame that was never handed out.</summary>
    AlreadyFree,

    /// <summary>A frame lies in managed range but is not RAM the allocator hands out (reserved, a carve-out, its metadata, a hole).</summary>
    NotManaged,

    /// <summary>A frame lies outside the range the allocator manages.</summary>
    OutsideManagedRange,

    /// <summary>The address is not the start of a frame.</summary>
    Misaligned,

    /// <summary>A run of zero frames.</summary>
    EmptyRun,
}
