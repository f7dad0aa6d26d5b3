using System.Runtime.InteropServices;
using Kernel.Bench.Traces;

namespace Kernel.Bench.Peers;

/// <summary>glibc malloc/free the way .NET code reaches them: NativeMemory, a P/Invoke into the runtime's libc shim.</summary>
internal readonly unsafe struct GlibcAllocator : ITraceAllocator
{
    public void* Allocate(nuint size) => NativeMemory.Alloc(size);

    public void Free(void* memory) => NativeMemory.Free(memory);
}
