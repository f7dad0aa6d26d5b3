using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// A kernel heap on an emulated machine: page tables and frames in <see cref="EmulatedRam"/>, the heap's
/// virtual range an ordinary host buffer (so what it hands out can be dereferenced), the real mapper.
/// </summary>
public sealed unsafe class HeapMachine : IDisposable
{
    public const ulong FrameWindowStart = MemConstants.MiB;

    /// <param name="supportedFeatures">The CPU's feature-dependent leaf flags (see <see cref="PageTableEntry.FeatureFlagsMask"/>); all by default.</param>
    public HeapMachine(ulong heapSize = 40 * MemConstants.MiB, ulong blockAreaSize = 4 * MemConstants.MiB, ulong frameCount = 16384,
        PageFlags supportedFeatures = (PageFlags)PageTableEntry.FeatureFlagsMask)
    {
        Ram = new EmulatedRam(0, FrameWindowStart + frameCount * MemConstants.PageSize);
        Frames = new CountingFrameSource(Ram, FrameWindowStart, frameCount);
        TlbLog = new RecordingTlb.Log();
        if (Mapper<EmulatedRam.Accessor, RecordingTlb>.CreateRootTable(Ram.Memory, Frames, out ulong root) != PagingStatus.Success)
        {
            throw new InvalidOperationException("no frame for the root table");
        }
        Mapper = new Mapper<EmulatedRam.Accessor, RecordingTlb>(Ram.Memory, new RecordingTlb(TlbLog), Frames, root, supportedFeatures);
        Range = new HostRange(heapSize);
        Layout = new KernelHeapLayout(Range.Start, heapSize, blockAreaSize);
        if (!Layout.IsValid)
        {
            throw new InvalidOperationException("invalid heap layout");
        }
        Metadata = new HostRange(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(Layout));
        if (KernelHeap<EmulatedRam.Accessor, RecordingTlb>.Create(Mapper, Frames, Layout, (byte*)Metadata.Start, Metadata.Size, out var heap) != KernelHeapCreateStatus.Ok)
        {
            throw new InvalidOperationException("the heap refused its layout or metadata");
        }
        Heap = heap;
        BaselineFrames = Frames.Outstanding;
    }

    public EmulatedRam Ram { get; }
    public CountingFrameSource Frames { get; }
    public RecordingTlb.Log TlbLog { get; }
    public Mapper<EmulatedRam.Accessor, RecordingTlb> Mapper { get; }
    public HostRange Range { get; }
    public HostRange Metadata { get; }
    public KernelHeapLayout Layout { get; }
    public KernelHeap<EmulatedRam.Accessor, RecordingTlb> Heap { get; }

    /// <summary>Frames outstanding with an empty heap (the root table).</summary>
    public int BaselineFrames { get; }

    public HeapStatistics Statistics => Heap.GetStatistics();

    /// <summary>True when the mapper has a translation for the page of <paramref name="virtualAddress"/>.</summary>
    public bool IsMapped(ulong virtualAddress) => Mapper.Translate(virtualAddress, out _) == PagingStatus.Success;

    public void Dispose()
    {
        Range.Dispose();
        Metadata.Dispose();
        Ram.Dispose();
    }
}
