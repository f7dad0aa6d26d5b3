namespace Kernel.Mem.Heap;

/// <summary>
/// A snapshot of the kernel heap's accounting. Block figures count whole blocks (a 9-byte request holds a
/// 16-byte block); page figures count whole pages. The space above the break is neither in use nor free.
/// </summary>
public struct HeapStatistics
{
    /// <summary>Bytes of blocks handed out.</summary>
    public ulong BlockBytesInUse;

    /// <summary>Bytes of free blocks on the block area's backed pages.</summary>
    public ulong BlockBytesFree;

    /// <summary>Backed pages of the block area.</summary>
    public ulong BlockPages;

    /// <summary>Small allocations served from a larger class because no fresh page could be had.</summary>
    public ulong BlockBorrows;

    /// <summary>Bytes of page allocations.</summary>
    public ulong PageBytesInUse;

    /// <summary>Bytes in holes below the break.</summary>
    public ulong PageBytesFree;

    /// <summary>Backed pages of the page area.</summary>
    public ulong PagesInUse;

    public ulong HoleCount;
    public ulong LargestHoleBytes;

    /// <summary>The page area's break: one past its highest allocation.</summary>
    public ulong Break;

    /// <summary>The highest the break can go: the end of the heap's range.</summary>
    public ulong Limit;

    /// <summary>Frames the heap holds for its pages (block pages plus page-area pages; page tables are the mapper's).</summary>
    public ulong Frames;

    /// <summary>Bytes of bookkeeping outside the heap's range (allocator records and translation arrays).</summary>
    public ulong MetadataBytes;

    public ulong Allocations;
    public ulong Frees;
    public ulong Reallocations;
    public ulong FailedAllocations;

    /// <summary>Frees (and reallocations) of an address that named no live allocation; the sum of the six kinds below.</summary>
    public ulong BadFrees;

    public ulong OutsideHeapFrees;
    public ulong InsideAllocationFrees;
    public ulong DoubleFrees;
    public ulong MisalignedFrees;
    public ulong NeverAllocatedFrees;

    /// <summary>Of addresses where the heap cannot tell whether an allocation was ever handed out (see <see cref="FreeStatus.NotAllocated"/>).</summary>
    public ulong NotAllocatedFrees;
}
