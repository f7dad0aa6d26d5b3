using Kernel.Bench.Traces;
using Kernel.Mem.Heap;
using Kernel.Tests.Emulation;

namespace Kernel.Bench.Machine;

/// <summary>kmalloc/kfree of a <see cref="HeapMachine"/>'s heap. A bad free would be a bug in the bench; the setup checks the replays instead.</summary>
internal readonly unsafe struct KernelHeapAllocator : ITraceAllocator
{
    private readonly KernelHeap<EmulatedRam.Accessor, NullTlb> _heap;

    public KernelHeapAllocator(KernelHeap<EmulatedRam.Accessor, NullTlb> heap) => _heap = heap;

    public void* Allocate(nuint size) => _heap.Allocate(size);

    public void Free(void* memory) => _heap.Free(memory);
}
