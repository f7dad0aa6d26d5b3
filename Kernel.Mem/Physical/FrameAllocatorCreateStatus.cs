namespace Kernel.Mem.Physical;

/// <summary>The outcome of <see cref="FrameAllocator{TMem}.Create"/>.</summary>
public enum FrameAllocatorCreateStatus
{
    Ok,

    /// <summary>The memory map has no usable region, or nothing is left once the metadata is placed.</summary>
    NoUsableMemory,

    /// <summary>No usable region is large enough for the per-frame metadata.</summary>
    NoRoomForMetadata,

    /// <summary>The memory map had no room left to record the metadata carve-out.</summary>
    MemoryMapFull,

    /// <summary>No memory manager lock was given.</summary>
    NoLock,
}
