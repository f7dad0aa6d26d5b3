using Kernel.Bench.Traces;
using Kernel.Mem.Heap;

namespace Kernel.Bench.Machine;

/// <summary>A trace's byte sizes rounded up to pages, as the kernel heap rounds them, straight to a <see cref="PageArea"/>.</summary>
internal readonly unsafe struct PageAreaAllocator : ITraceAllocator
{
    private readonly PageAllocator<UnbackedPages> _pages;

    public PageAreaAllocator(PageAllocator<UnbackedPages> pages) => _pages = pages;

    public void* Allocate(nuint size) => (void*)_pages.Allocate(PageAllocator<UnbackedPages>.PagesFor(size));

    public void Free(void* memory) => _pages.Free((ulong)memory);
}
