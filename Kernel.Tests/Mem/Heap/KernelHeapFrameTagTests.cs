using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Mem.Physical;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// Physical to virtual through frame tags: the heap tags every frame it maps with the page it backs, and
/// trusts a tag only when it carries the heap marker, names a page of its own range, and that page is
/// backed by that very frame.
/// </summary>
public sealed unsafe class KernelHeapFrameTagTests : IDisposable
{
    private const ulong PageSize = MemConstants.PageSize;
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;

    private readonly HeapMachine _machine = new HeapMachine();

    public void Dispose() => _machine.Dispose();

    private KernelHeap<EmulatedRam.Accessor, RecordingTlb> Heap => _machine.Heap;

    [Fact]
    public void Every_frame_backing_a_heap_page_is_tagged_with_that_page()
    {
        ulong large = (ulong)Heap.Allocate(3 * PageSize);
        ulong small = (ulong)Heap.Allocate(64);

        foreach (ulong page in new[] { large, large + PageSize, large + 2 * PageSize, MemConstants.AlignDown(small, PageSize) })
        {
            ulong physical = Heap.PhysicalAddress(page);
            Assert.True(_machine.Frames.TryGetFrameTag(physical, out ulong tag));
            Assert.Equal(HeapFrameTag.Of(page), tag);
            Assert.True(HeapFrameTag.TryGetPage(tag, out ulong named));
            Assert.Equal(page, named);
        }
    }

    [Fact]
    public void Page_tables_and_other_untagged_frames_do_not_translate()
    {
        Heap.Allocate(3 * PageSize);
        Assert.True(_machine.Frames.TryAllocateFrame(out ulong untagged));

        Assert.True(_machine.Frames.TryGetFrameTag(_machine.Mapper.RootTable, out ulong rootTag));
        Assert.Equal(FrameTag.None, rootTag);
        Assert.False(Heap.TryGetVirtualAddress(_machine.Mapper.RootTable, out _));
        Assert.Equal(0UL, Heap.VirtualAddress(untagged));
    }

    [Fact]
    public void A_freed_heap_frame_loses_its_tag_and_translates_for_no_later_owner()
    {
        ulong large = (ulong)Heap.Allocate(2 * PageSize);
        ulong physical = Heap.PhysicalAddress(large + PageSize);

        Heap.Free((void*)large);

        Assert.False(_machine.Frames.TryGetFrameTag(physical, out _));
        Assert.Equal(0UL, Heap.VirtualAddress(physical));
        // The source hands the most recently returned frame out first: a new owner finds it untagged.
        Assert.True(_machine.Frames.TryAllocateFrame(out ulong again));
        Assert.Equal(physical, again);
        Assert.True(_machine.Frames.TryGetFrameTag(again, out ulong tag));
        Assert.Equal(FrameTag.None, tag);
        Assert.Equal(0UL, Heap.VirtualAddress(again));
    }

    [Fact]
    public void A_frame_tagged_by_another_owner_does_not_translate_even_when_the_tag_names_a_heap_page()
    {
        ulong large = (ulong)Heap.Allocate(PageSize);
        ulong backing = Heap.PhysicalAddress(large);
        Assert.True(_machine.Frames.TryAllocateFrame(out ulong foreign));

        // Some other owner's tag, without the heap marker.
        Assert.True(_machine.Frames.TrySetFrameTag(foreign, (large >> MemConstants.PageShift) & FrameTag.Mask));
        Assert.False(Heap.TryGetVirtualAddress(foreign, out ulong virtualAddress));
        Assert.Equal(0UL, virtualAddress);

        // A forged heap tag naming a live heap page that another frame backs.
        Assert.True(_machine.Frames.TrySetFrameTag(foreign, HeapFrameTag.Of(large)));
        Assert.Equal(0UL, Heap.VirtualAddress(foreign + 8));

        // A forged heap tag naming a page of the range that nothing backs.
        Assert.True(_machine.Frames.TrySetFrameTag(foreign, HeapFrameTag.Of(_machine.Layout.End - PageSize)));
        Assert.Equal(0UL, Heap.VirtualAddress(foreign));

        // A forged heap tag naming a page outside the range.
        Assert.True(_machine.Frames.TrySetFrameTag(foreign, HeapFrameTag.Of(_machine.Layout.End)));
        Assert.Equal(0UL, Heap.VirtualAddress(foreign));

        Assert.Equal(large + 8, Heap.VirtualAddress(backing + 8));
    }

    [Fact]
    public void Two_heaps_on_one_frame_source_each_translate_only_their_own_frames()
    {
        using var range = new HostRange(8 * MiB);
        var layout = new KernelHeapLayout(range.Start, range.Size, 1 * MiB);
        using var metadata = new HostRange(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(layout));
        Assert.Equal(KernelHeapCreateStatus.Ok, KernelHeap<EmulatedRam.Accessor, RecordingTlb>.Create(
            _machine.Mapper, _machine.Frames, layout, (byte*)metadata.Start, metadata.Size, out var other));

        ulong mine = (ulong)Heap.Allocate(2 * PageSize);
        ulong theirs = (ulong)other.Allocate(2 * PageSize);
        ulong myFrame = Heap.PhysicalAddress(mine + PageSize);
        ulong theirFrame = other.PhysicalAddress(theirs + PageSize);

        Assert.Equal(mine + PageSize, Heap.VirtualAddress(myFrame));
        Assert.Equal(theirs + PageSize, other.VirtualAddress(theirFrame));
        Assert.Equal(0UL, Heap.VirtualAddress(theirFrame));
        Assert.Equal(0UL, other.VirtualAddress(myFrame));

        other.Free((void*)theirs);
    }

    [Fact]
    public void A_frame_source_that_refuses_the_tag_counts_as_running_out_and_leaves_nothing_behind()
    {
        using var range = new HostRange(8 * MiB);
        var layout = new KernelHeapLayout(range.Start, range.Size, 1 * MiB);
        using var metadata = new HostRange(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(layout));
        var refusing = new TagRefusingFrameSource(_machine.Frames, allowedTags: 2);
        Assert.Equal(KernelHeapCreateStatus.Ok, KernelHeap<EmulatedRam.Accessor, RecordingTlb>.Create(
            _machine.Mapper, refusing, layout, (byte*)metadata.Start, metadata.Size, out var heap));
        int outstanding = _machine.Frames.Outstanding;

        Assert.True(heap.Allocate(4 * PageSize) == null);

        Assert.Equal(1UL, heap.GetStatistics().FailedAllocations);
        Assert.Equal(0UL, heap.GetStatistics().Frames);
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
        Assert.False(_machine.IsMapped(layout.PageAreaStart));
    }

    [Fact]
    public void Heap_pages_backed_above_4_GiB_translate_both_ways_on_the_5_GiB_machine()
    {
        using PhysicalMachine physical = PhysicalMachine.ThreeZones();
        FrameAllocator<EmulatedRam.Accessor> frames = physical.Frames;
        Assert.Equal(PagingStatus.Success, Mapper<EmulatedRam.Accessor, RecordingTlb>.CreateRootTable(physical.Ram.Memory, frames, out ulong root));
        var mapper = new Mapper<EmulatedRam.Accessor, RecordingTlb>(physical.Ram.Memory, new RecordingTlb(new RecordingTlb.Log()), frames, root);
        using var range = new HostRange(16 * MiB);
        var layout = new KernelHeapLayout(range.Start, range.Size, 1 * MiB);
        using var metadata = new HostRange(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(layout));
        Assert.Equal(KernelHeapCreateStatus.Ok, KernelHeap<EmulatedRam.Accessor, RecordingTlb>.Create(
            mapper, frames, layout, (byte*)metadata.Start, metadata.Size, out var heap));
        ulong freeBefore = frames.FreeFrames;

        ulong large = (ulong)heap.Allocate(64 * PageSize);
        ulong small = (ulong)heap.Allocate(100);

        Assert.NotEqual(0UL, large);
        for (ulong i = 0; i < 64; i++)
        {
            ulong page = large + i * PageSize;
            ulong frame = heap.PhysicalAddress(page + 0x10);
            Assert.True(frame >= 4 * GiB, $"0x{frame:x16} is below 4 GiB");
            Assert.Equal(page + 0x10, heap.VirtualAddress(frame));
            Assert.True(frames.TryGetFrameTag(frame, out ulong tag));
            Assert.Equal(HeapFrameTag.Of(page), tag);
        }
        ulong smallFrame = heap.PhysicalAddress(small);
        Assert.True(smallFrame >= 4 * GiB);
        Assert.Equal(small, heap.VirtualAddress(smallFrame));

        ulong freedFrame = heap.PhysicalAddress(large);
        Assert.Equal(FreeStatus.Freed, heap.Free((void*)large));
        Assert.Equal(FreeStatus.Freed, heap.Free((void*)small));

        Assert.Equal(0UL, heap.VirtualAddress(freedFrame));
        Assert.False(frames.TryGetFrameTag(freedFrame, out _));
        Assert.Equal(freeBefore, frames.FreeFrames);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void A_heap_tag_round_trips_upper_and_lower_half_addresses_and_carries_the_marker()
    {
        foreach (ulong page in new[] { 0xFFFF_C000_0000_0000UL, 0xFFFF_C000_3FFF_F000UL, 0x0000_7FFF_FFFF_F000UL, 0x1000UL })
        {
            ulong tag = HeapFrameTag.Of(page);
            Assert.True(tag <= FrameTag.Mask);
            Assert.True(HeapFrameTag.TryGetPage(tag, out ulong named));
            Assert.Equal(page, named);
        }
        Assert.False(HeapFrameTag.TryGetPage(FrameTag.None, out _));
        Assert.False(HeapFrameTag.TryGetPage(0x1234, out _));
    }

    /// <summary>Forwards to another source but refuses every tag after the first few.</summary>
    private sealed class TagRefusingFrameSource : IFrameSource
    {
        private readonly IFrameSource _inner;
        private int _allowedTags;

        public TagRefusingFrameSource(IFrameSource inner, int allowedTags)
        {
            _inner = inner;
            _allowedTags = allowedTags;
        }

        public MemoryLock Lock => _inner.Lock;

        public bool TryAllocateFrame(out ulong physical) => _inner.TryAllocateFrame(out physical);

        public void FreeFrame(ulong physical) => _inner.FreeFrame(physical);

        public bool TrySetFrameTag(ulong physical, ulong tag) => _allowedTags-- > 0 && _inner.TrySetFrameTag(physical, tag);

        public unsafe bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag)
        {
            bool tagged = firstTag != FrameTag.None;
            if (tagged && (ulong)_allowedTags < count)
            {
                return false;
            }
            _allowedTags -= tagged ? (int)count : 0;
            return _inner.TryAllocateFrames(frames, count, firstTag);
        }

        public unsafe void FreeFrames(ulong* frames, ulong count) => _inner.FreeFrames(frames, count);

        public bool TryGetFrameTag(ulong physical, out ulong tag) => _inner.TryGetFrameTag(physical, out tag);
    }
}
