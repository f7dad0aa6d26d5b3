using Kernel.Bench.Traces;

namespace Kernel.Bench.Peers;

/// <summary>mi_malloc/mi_free through an ordinary P/Invoke.</summary>
internal readonly unsafe struct MimallocAllocator : ITraceAllocator
{
    public void* Allocate(nuint size) => Mimalloc.Malloc(size);

    public void Free(void* memory) => Mimalloc.Free(memory);
}
