namespace Kernel.Mem.Heap;

/// <summary>
/// The one primitive the heap's bookkeeping knows of memory (as mimalloc's commit/decommit): it backs a
/// run of heap pages with frames and releases them again. The kernel heap implements it with the frame
/// allocator and the mapper; the bookkeeping tests implement it with a recorder that can be told to fail.
/// Used through struct-constrained generics so the allocators pay no dispatch.
/// </summary>
public interface IPageBacking
{
    /// <summary>
    /// Makes the <paramref name="pageCount"/> pages from the page-aligned <paramref name="virtualAddress"/>
    /// readable and writable. All or nothing: on false no page of the run is left backed.
    /// </summary>
    bool Commit(ulong virtualAddress, ulong pageCount);

    /// <summary>
    /// Releases the pages of a run committed earlier (possibly as part of a larger commit). Never fails.
    /// </summary>
    void Decommit(ulong virtualAddress, ulong pageCount);
}
