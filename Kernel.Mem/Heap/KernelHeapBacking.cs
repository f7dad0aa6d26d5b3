namespace Kernel.Mem.Heap;

/// <summary>
/// Connects the allocators' commit and decommit to the kernel heap, which maps frames there. A struct so the
/// allocators call the heap directly, without interface dispatch.
/// </summary>
public readonly struct KernelHeapBacking<TMem, TTlb> : IPageBacking
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
{
    private readonly KernelHeap<TMem, TTlb> _heap;

    internal KernelHeapBacking(KernelHeap<TMem, TTlb> heap) => _heap = heap;

    public bool Commit(ulong virtualAddress, ulong pageCount) => _heap.CommitPages(virtualAddress, pageCount);

    public void Decommit(ulong virtualAddress, ulong pageCount) => _heap.DecommitPages(virtualAddress, pageCount);
}
