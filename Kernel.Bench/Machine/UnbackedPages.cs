using Kernel.Mem.Heap;

namespace Kernel.Bench.Machine;

/// <summary>
/// A backing that commits nothing and never fails: with it the page allocator's cost is its bookkeeping
/// alone (hole index, boundary tags), apart from the mapping the kernel heap adds.
/// </summary>
internal readonly struct UnbackedPages : IPageBacking
{
    public bool Commit(ulong virtualAddress, ulong pageCount) => true;

    public void Decommit(ulong virtualAddress, ulong pageCount)
    {
    }
}
