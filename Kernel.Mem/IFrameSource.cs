namespace Kernel.Mem;

/// <summary>
/// Where the mapper and the kernel heap obtain single 4 KiB frames (for page tables and heap pages) and
/// where they return them, and where the holder of a frame may record a <see cref="FrameTag"/> for it. The
/// frame allocator implements it; tests may substitute a failing source to prove that exhaustion
/// mid-operation leaves nothing half done.
/// </summary>
/// <remarks>
/// Every method is safe to call from any task: an implementation serialises its own work with <see cref="Lock"/>,
/// and so does everyone who builds on the source (mappers, heaps), so that they and the source share one lock.
/// </remarks>
public unsafe interface IFrameSource
{
    /// <summary>
    /// The memory manager's lock that guards this source and everything sharing it: the frame allocator's own
    /// lock, passed on unchanged by sources that wrap another.
    /// </summary>
    MemoryLock Lock { get; }

    /// <summary>Allocates one frame; returns false, leaving <paramref name="physical"/> 0, when none is left.</summary>
    bool TryAllocateFrame(out ulong physical);

    /// <summary>Returns a frame obtained from <see cref="TryAllocateFrame"/>; its tag is erased.</summary>
    void FreeFrame(ulong physical);

    /// <summary>
    /// Allocates <paramref name="count"/> frames, not necessarily contiguous, into <paramref name="frames"/>[0] to
    /// [count - 1]. Unless <paramref name="firstTag"/> is <see cref="FrameTag.None"/>, frame i is tagged
    /// <paramref name="firstTag"/> + i: the tags of a run of consecutive pages, for an owner whose tags number its
    /// pages (the last at most <see cref="FrameTag.Mask"/>). All or nothing: on false no frame is held and the
    /// list means nothing. One call for a run of pages where single frames would take an allocation and a tag
    /// call per page.
    /// </summary>
    bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag);

    /// <summary>Returns every frame listed in <paramref name="frames"/>[0] to [count - 1] but zeros, as <see cref="FreeFrame"/> would.</summary>
    void FreeFrames(ulong* frames, ulong count);

    /// <summary>
    /// Records <paramref name="tag"/> (at most <see cref="FrameTag.Mask"/>) for the allocated frame that
    /// holds <paramref name="physical"/> (any address in it). Only the caller that allocated the frame may
    /// tag it, and the tag means something only until the frame is freed, which erases it; a newly
    /// allocated frame carries <see cref="FrameTag.None"/>. O(1). Returns false, changing nothing, when the
    /// frame is free or not managed by this source, or the tag is wider than <see cref="FrameTag.Bits"/>.
    /// </summary>
    bool TrySetFrameTag(ulong physical, ulong tag);

    /// <summary>
    /// The tag last recorded for the allocated frame that holds <paramref name="physical"/>. O(1). Returns
    /// false, with <paramref name="tag"/> 0, when the frame is free or not managed by this source. Anyone may
    /// ask, but a tag says only what its owner put there: check that it makes sense before trusting it.
    /// </summary>
    bool TryGetFrameTag(ulong physical, out ulong tag);
}
