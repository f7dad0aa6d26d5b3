namespace Kernel.Mem.Physical;

/// <summary>The outcome of a run allocation.</summary>
public enum FrameAllocationStatus
{
    Ok,

    /// <summary>No allowed zone has a stretch of free frames that meets the request; nothing changed.</summary>
    OutOfMemory,

    /// <summary>
    /// The request cannot be met by any machine: zero frames or more than one mem_map can describe (MaxRunFrames), an alignment
    /// or boundary that is not a power of two, a boundary smaller than the run, or low not below high.
    /// </summary>
    InvalidRequest,
}
