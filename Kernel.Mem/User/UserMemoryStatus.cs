namespace Kernel.Mem.User;

/// <summary>The outcome of reserving or releasing user-heap pages; the system calls turn each into an errno.</summary>
public enum UserMemoryStatus
{
    Ok = 0,

    /// <summary>The address or the size is not a multiple of the page size.</summary>
    Misaligned,

    /// <summary>A size of 0.</summary>
    Empty,

    /// <summary>The range wraps around or leaves the user heap [0x8000_0000, 0xA000_0000).</summary>
    OutsideHeap,

    /// <summary>A page of the range is reserved or mapped already; nothing was reserved.</summary>
    AlreadyReserved,

    /// <summary>No frame was left for a page table (reserve) or for the page (a first touch).</summary>
    OutOfMemory,

    /// <summary>A first touch of a page that carries no user-heap reservation.</summary>
    NotReserved,

    /// <summary>A page had to be evicted and written out, but the page file has no free slot.</summary>
    PageFileFull,

    /// <summary>The page file's disk failed a transfer (writing a victim out or reading a page back).</summary>
    PageFileError,
}
