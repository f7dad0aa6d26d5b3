using Kernel.Bench.Traces;

namespace Kernel.Bench.Peers;

/// <summary>mi_malloc/mi_free without the GC transition: see <see cref="Mimalloc.MallocDirect"/>.</summary>
internal readonly unsafe struct MimallocDirectAllocator : ITraceAllocator
{
    public void* Allocate(nuint size) => Mimalloc.MallocDirect(size);

    public void Free(void* memory) => Mimalloc.FreeDirect(memory);
}
