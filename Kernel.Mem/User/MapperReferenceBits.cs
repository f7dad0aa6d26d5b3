using Kernel.Mem.Paging;
using Kernel.Mem.Replacement;

namespace Kernel.Mem.User;

/// <summary>The replacement policies' view of a process's pages: the accessed and dirty bits of their PTEs.</summary>
internal readonly struct MapperReferenceBits<TMem, TTlb> : IReferenceBits
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
{
    private readonly Mapper<TMem, TTlb> _mapper;

    public MapperReferenceBits(Mapper<TMem, TTlb> mapper) => _mapper = mapper;

    public bool TestAndClearAccessed(ulong page) => _mapper.TestAndClearAccessed(page);

    public bool IsAccessed(ulong page) => (_mapper.ReferenceBits(page) & PageFlags.Accessed) != 0;

    public bool IsDirty(ulong page) => (_mapper.ReferenceBits(page) & PageFlags.Dirty) != 0;
}
