namespace Kernel.Mem.Physical;

/// <summary>What the frame allocator knows about one frame (3 bits of its <see cref="FrameEntry"/>).</summary>
public enum FrameState : byte
{
    /// <summary>
    /// Not managed: a hole, firmware-reserved, a carve-out or the metadata itself. Zero, so that metadata
    /// that was merely cleared describes nothing as free.
    /// </summary>
    Reserved = 0,

    /// <summary>Free, inside a free buddy block whose head is another frame.</summary>
    Free = 1,

    /// <summary>Free, the first frame of a free buddy block: carries the block's order and free-list links.</summary>
    FreeHead = 2,

    /// <summary>Handed out and not yet returned.</summary>
    Allocated = 3,

    /// <summary>
    /// Free, a single frame waiting in its zone's cache (linked through the next field) instead of in a buddy
    /// block; see <see cref="FrameAllocator{TMem}.CacheCapacity"/>.
    /// </summary>
    Cached = 4,
}
