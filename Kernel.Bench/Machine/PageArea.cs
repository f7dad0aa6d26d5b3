using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Tests.Mem.Heap;

namespace Kernel.Bench.Machine;

/// <summary>
/// A bare custom-fit page allocator over <see cref="UnbackedPages"/>: its addresses are only numbers (it
/// never touches its pages), so the area can be as large as the hole counts need without host memory.
/// </summary>
internal sealed unsafe class PageArea : IDisposable
{
    // Anywhere page-aligned and not 0 will do: nothing is ever read or written there.
    private const ulong AreaStart = 0x0000_1000_0000_0000;

    public PageArea(uint pageCount)
    {
        Metadata = new HostRange(PageAllocator<UnbackedPages>.MetadataBytes(pageCount));
        Pages = new PageAllocator<UnbackedPages>(default, AreaStart, pageCount, (byte*)Metadata.Start, Metadata.Size);
    }

    public HostRange Metadata { get; }
    public PageAllocator<UnbackedPages> Pages { get; }

    public PageAreaAllocator Allocator => new PageAreaAllocator(Pages);

    public void Dispose() => Metadata.Dispose();
}
