using System;
using Kernel.Bench.Traces;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Heap;

namespace Kernel.Bench.Machine;

/// <summary>
/// A kernel heap on an emulated machine, as Kernel.Tests/Mem/Heap/HeapMachine.cs builds one: page tables in
/// <see cref="EmulatedRam"/>, the real mapper, and the heap's virtual range an ordinary host buffer so that
/// the blocks it hands out (whose free-list links it writes through their addresses) are real memory.
/// Frames come from a <see cref="StackFrameSource"/> and the TLB is a <see cref="NullTlb"/>, so that the
/// figures are the heap's and the mapper's, not the test doubles'.
/// </summary>
internal sealed unsafe class HeapMachine : IDisposable
{
    // Frame 0 and the first MiB are left out, as on a PC.
    private const ulong FrameWindowStart = MemConstants.MiB;

    public HeapMachine(ulong heapSize, ulong blockAreaSize, ulong frameCount)
    {
        Ram = new EmulatedRam(0, FrameWindowStart + (frameCount << MemConstants.PageShift));
        Frames = new StackFrameSource(FrameWindowStart, frameCount);
        if (Mapper<EmulatedRam.Accessor, NullTlb>.CreateRootTable(Ram.Memory, Frames, out ulong root) != PagingStatus.Success)
        {
            throw new InvalidOperationException("no frame for the root table");
        }
        Mapper = new Mapper<EmulatedRam.Accessor, NullTlb>(Ram.Memory, default, Frames, root);
        Range = new HostRange(heapSize);
        Layout = new KernelHeapLayout(Range.Start, heapSize, blockAreaSize);
        if (!Layout.IsValid)
        {
            throw new InvalidOperationException("invalid heap layout");
        }
        Metadata = new HostRange(KernelHeap<EmulatedRam.Accessor, NullTlb>.MetadataBytes(Layout));
        if (KernelHeap<EmulatedRam.Accessor, NullTlb>.Create(Mapper, Frames, Layout, (byte*)Metadata.Start, Metadata.Size, out var heap) != KernelHeapCreateStatus.Ok)
        {
            throw new InvalidOperationException("the heap refused its layout or metadata");
        }
        Heap = heap;
    }

    public EmulatedRam Ram { get; }
    public StackFrameSource Frames { get; }
    public Mapper<EmulatedRam.Accessor, NullTlb> Mapper { get; }
    public HostRange Range { get; }
    public HostRange Metadata { get; }
    public KernelHeapLayout Layout { get; }
    public KernelHeap<EmulatedRam.Accessor, NullTlb> Heap { get; }

    public KernelHeapAllocator Allocator => new KernelHeapAllocator(Heap);

    public void Dispose()
    {
        Range.Dispose();
        Metadata.Dispose();
        Ram.Dispose();
    }
}
