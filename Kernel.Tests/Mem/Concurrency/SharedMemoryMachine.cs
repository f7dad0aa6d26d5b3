using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Mem.Pebble;
using Kernel.Mem.Physical;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Heap;
using Kernel.Tests.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Concurrency;

/// <summary>
/// One memory manager built as the kernel builds it, on the emulated 5 GiB machine: one frame allocator, the
/// kernel's mapper with the upper half populated (so every address space shares the kernel's tables), a
/// kernel heap and a pebble allocator over them. Heap and pebble ranges are host buffers in the lower half;
/// tests that map pages of their own use the upper half (<see cref="KernelPages"/>).
/// </summary>
internal sealed unsafe class SharedMemoryMachine : IDisposable
{
    public const ulong HeapSize = 64 * MemConstants.MiB;
    public const ulong BlockAreaSize = 4 * MemConstants.MiB;
    public const ulong PebbleRangeSize = 32 * MemConstants.MiB;

    /// <summary>An upper-half region no one else maps: the self-test scratch region of the kernel's layout.</summary>
    public const ulong KernelPages = 0xFFFF_E000_0000_0000;

    /// <summary>User pages of the address spaces the tests create: 4 MiB, where programs are linked.</summary>
    public const ulong UserPages = 0x0000_0000_0040_0000;

    public SharedMemoryMachine()
    {
        Physical = PhysicalMachine.ThreeZones();
        Assert.Equal(PagingStatus.Success, Mapper<EmulatedRam.Accessor, SilentTlb>.CreateRootTable(Memory, Frames, out ulong root));
        KernelMapper = new Mapper<EmulatedRam.Accessor, SilentTlb>(Memory, default, Frames, root);
        Assert.Equal(PagingStatus.Success, KernelMapper.PopulateUpperHalf());

        HeapRange = new HostRange(HeapSize);
        var layout = new KernelHeapLayout(HeapRange.Start, HeapSize, BlockAreaSize);
        HeapMetadata = new HostRange(KernelHeap<EmulatedRam.Accessor, SilentTlb>.MetadataBytes(layout));
        Assert.Equal(KernelHeapCreateStatus.Ok, KernelHeap<EmulatedRam.Accessor, SilentTlb>.Create(
            KernelMapper, Frames, layout, (byte*)HeapMetadata.Start, HeapMetadata.Size, out var heap));
        Heap = heap;

        PebbleRange = new HostRange(PebbleRangeSize);
        Pebbles = new PebbleAllocator<EmulatedRam.Accessor, SilentTlb, HostInterruptLock>(
            Frames, Memory, default, KernelMapper, PebbleRange.Start, PebbleRange.Size);
        BaselineFreeFrames = Frames.FreeFrames;
    }

    public PhysicalMachine Physical { get; }
    public EmulatedRam.Accessor Memory => Physical.Ram.Memory;
    public FrameAllocator<EmulatedRam.Accessor> Frames => Physical.Frames;
    public Mapper<EmulatedRam.Accessor, SilentTlb> KernelMapper { get; }
    public HostRange HeapRange { get; }
    public HostRange HeapMetadata { get; }
    public KernelHeap<EmulatedRam.Accessor, SilentTlb> Heap { get; }
    public HostRange PebbleRange { get; }
    public PebbleAllocator<EmulatedRam.Accessor, SilentTlb, HostInterruptLock> Pebbles { get; }

    /// <summary>Free frames once everything above is built and nothing is allocated from it.</summary>
    public ulong BaselineFreeFrames { get; }

    /// <summary>A new address space sharing the kernel half, as a process gets one.</summary>
    public UserAddressSpace<EmulatedRam.Accessor, SilentTlb> CreateAddressSpace()
    {
        Assert.Equal(PagingStatus.Success, UserAddressSpace<EmulatedRam.Accessor, SilentTlb>.Create(
            Memory, default, Frames, KernelMapper.RootTable, (PageFlags)PageTableEntry.FeatureFlagsMask, out var space));
        return space;
    }

    /// <summary>The frame allocator's own checks, and every frame back.</summary>
    public void AssertFramesWhole()
    {
        Assert.True(Frames.VerifyFreeLists(), "free lists");
        Assert.True(Frames.VerifyFrameStates(), "mem_map");
        Assert.Equal(0UL, Frames.RejectedFrees);
        Assert.Equal(BaselineFreeFrames, Frames.FreeFrames);
    }

    public void Dispose()
    {
        PebbleRange.Dispose();
        HeapMetadata.Dispose();
        HeapRange.Dispose();
        Physical.Dispose();
    }
}
