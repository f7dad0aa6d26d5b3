using Kernel.Bench.Traces;

namespace Kernel.Bench.Peers;

/// <summary>glibc malloc/free without the GC transition: see <see cref="Glibc"/>.</summary>
internal readonly unsafe struct GlibcDirectAllocator : ITraceAllocator
{
    public void* Allocate(nuint size) => Glibc.MallocDirect(size);

    public void Free(void* memory) => Glibc.FreeDirect(memory);
}
