using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

public sealed unsafe class KernelHeapTests : IDisposable
{
    private const ulong PageSize = MemConstants.PageSize;

    private readonly HeapMachine _machine = new HeapMachine();

    public void Dispose() => _machine.Dispose();

    private KernelHeap<EmulatedRam.Accessor, RecordingTlb> Heap => _machine.Heap;

    private HeapStatistics Stats => _machine.Statistics;

    private bool InBlockArea(void* p) =>
        (ulong)p >= _machine.Layout.BlockAreaStart && (ulong)p < _machine.Layout.BlockAreaStart + _machine.Layout.BlockAreaSize;

    private bool InPageArea(void* p) => (ulong)p >= _machine.Layout.PageAreaStart && (ulong)p < _machine.Layout.End;

    [Theory]
    [InlineData(1UL, 8UL)]
    [InlineData(2048UL, 2048UL)]
    public void Requests_up_to_2_KiB_go_to_the_block_area(ulong size, ulong usable)
    {
        void* p = Heap.Allocate(size);

        Assert.True(InBlockArea(p));
        Assert.Equal(usable, Heap.UsableSize(p));
        Assert.Equal(usable, Stats.BlockBytesInUse);
    }

    [Theory]
    [InlineData(2049UL, 1UL)]
    [InlineData(PageSize - 1, 1UL)]
    [InlineData(PageSize, 1UL)]
    [InlineData(PageSize + 1, 2UL)]
    public void Larger_requests_go_to_the_page_area_rounded_up_to_pages(ulong size, ulong pages)
    {
        void* p = Heap.Allocate(size);

        Assert.True(InPageArea(p));
        Assert.Equal(0UL, (ulong)p % PageSize);
        Assert.Equal(pages * PageSize, Heap.UsableSize(p));
        Assert.Equal(pages, Stats.PagesInUse);
    }

    [Fact]
    public void A_request_of_zero_bytes_returns_null_and_takes_nothing()
    {
        Assert.True(Heap.Allocate(0) == null);
        Assert.Equal(_machine.BaselineFrames, _machine.Frames.Outstanding);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(ulong.MaxValue)]
    public void A_request_larger_than_the_heap_returns_null_and_takes_nothing(ulong excess)
    {
        ulong size = excess == ulong.MaxValue ? ulong.MaxValue : _machine.Layout.PageAreaSize + 1 + excess * PageSize;

        Assert.True(Heap.Allocate(size) == null);

        Assert.Equal(_machine.BaselineFrames, _machine.Frames.Outstanding);
        Assert.Equal(1UL, Stats.FailedAllocations);
    }

    [Fact]
    public void The_whole_page_area_can_be_allocated_at_once()
    {
        void* p = Heap.Allocate(_machine.Layout.PageAreaSize);

        Assert.True(p != null);
        Assert.Equal(_machine.Layout.End, Stats.Break);
        Assert.Equal(FreeStatus.Freed, Heap.Free(p));
        Assert.Equal(_machine.BaselineFrames, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Heap_pages_are_mapped_supervisor_only_writable_and_no_execute()
    {
        void* small = Heap.Allocate(16);
        void* large = Heap.Allocate(3 * PageSize);

        foreach (ulong address in new[] { (ulong)small, (ulong)large, (ulong)large + 2 * PageSize })
        {
            Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(address, out Translation translation));
            Assert.True((translation.Flags & PageFlags.Writable) != 0);
            Assert.True((translation.Flags & PageFlags.NoExecute) != 0);
            Assert.True((translation.Flags & PageFlags.User) == 0);
            Assert.Equal(Kernel.Mem.Paging.PageSize.Size4KiB, translation.Size);
        }
    }

    [Fact]
    public void Translations_between_virtual_and_physical_agree_with_the_page_tables_both_ways()
    {
        ulong large = (ulong)Heap.Allocate(5 * PageSize);
        ulong small = (ulong)Heap.Allocate(100);

        foreach (ulong address in new[] { large, large + 123, large + 4 * PageSize + 4095, small, small + 99 })
        {
            ulong physical = Heap.PhysicalAddress(address);
            _machine.Mapper.Translate(address, out Translation translation);
            Assert.Equal(translation.PhysicalAddress, physical);
            Assert.Equal(address, Heap.VirtualAddress(physical));
        }
    }

    [Fact]
    public void Addresses_without_a_heap_frame_do_not_translate()
    {
        ulong large = (ulong)Heap.Allocate(PageSize * 2);

        Assert.Equal(0UL, Heap.PhysicalAddress(large + 2 * PageSize));
        Assert.Equal(0UL, Heap.PhysicalAddress(_machine.Layout.GuardPage));
        Assert.Equal(0UL, Heap.PhysicalAddress(_machine.Layout.End));
        Assert.Equal(0UL, Heap.PhysicalAddress(_machine.Layout.Start - 1));
        Assert.Equal(0UL, Heap.VirtualAddress(_machine.Mapper.RootTable));
        Assert.Equal(0UL, Heap.VirtualAddress(_machine.Ram.PhysicalEnd + PageSize));
        Assert.False(Heap.TryGetVirtualAddress(0, out _));
    }

    [Fact]
    public void Freed_pages_are_unmapped_and_their_frames_returned()
    {
        ulong large = (ulong)Heap.Allocate(4 * PageSize);
        ulong physical = Heap.PhysicalAddress(large + PageSize);
        _machine.TlbLog.Clear();

        Assert.Equal(FreeStatus.Freed, Heap.Free((void*)large));

        for (ulong i = 0; i < 4; i++)
        {
            Assert.False(_machine.IsMapped(large + i * PageSize));
            Assert.Equal(0UL, Heap.PhysicalAddress(large + i * PageSize));
            Assert.Contains(large + i * PageSize, _machine.TlbLog.Pages);
        }
        Assert.Equal(0UL, Heap.VirtualAddress(physical));
        Assert.False(_machine.Frames.Owns(physical));
        Assert.Equal(_machine.BaselineFrames, _machine.Frames.Outstanding);
    }

    [Fact]
    public void A_block_page_is_unmapped_when_its_last_block_is_freed()
    {
        void* a = Heap.Allocate(2048);
        void* b = Heap.Allocate(2048);
        Heap.Free(a);
        Assert.True(_machine.IsMapped((ulong)b));

        Heap.Free(b);

        Assert.False(_machine.IsMapped((ulong)b));
        Assert.Equal(0UL, Stats.Frames);
        Assert.Equal(_machine.BaselineFrames, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Free_of_null_does_nothing()
    {
        Assert.Equal(FreeStatus.NullPointer, Heap.Free(null));
        Assert.Equal(0UL, Stats.BadFrees);
    }

    public static TheoryData<string> BadPointerKinds => new TheoryData<string>
    {
        "outside: below the heap", "outside: the guard page", "outside: the end of the heap", "outside: a stack address",
        "inside a block", "inside a page allocation", "an interior page of a page allocation",
        "a freed block", "a freed page allocation", "a page above the break", "a block past its page's carving", "a block in a page never used",
        "misaligned in a free block page",
    };

    [Theory]
    [MemberData(nameof(BadPointerKinds))]
    public void A_bad_free_is_reported_counted_and_changes_nothing(string kind)
    {
        ulong block = (ulong)Heap.Allocate(64);
        ulong keep = (ulong)Heap.Allocate(64);
        ulong pages = (ulong)Heap.Allocate(3 * PageSize);
        ulong keepPages = (ulong)Heap.Allocate(PageSize);
        int local = 0;
        (ulong address, FreeStatus expected) = kind switch
        {
            "outside: below the heap" => (_machine.Layout.Start - 8, FreeStatus.OutsideHeap),
            "outside: the guard page" => (_machine.Layout.GuardPage, FreeStatus.OutsideHeap),
            "outside: the end of the heap" => (_machine.Layout.End, FreeStatus.OutsideHeap),
            "outside: a stack address" => ((ulong)&local, FreeStatus.OutsideHeap),
            "inside a block" => (block + 8, FreeStatus.InsideAllocation),
            "inside a page allocation" => (pages + 100, FreeStatus.InsideAllocation),
            "an interior page of a page allocation" => (pages + 2 * PageSize, FreeStatus.InsideAllocation),
            "a freed block" => (FreeFirst(block), FreeStatus.DoubleFree),
            "a freed page allocation" => (FreeFirst(pages), FreeStatus.DoubleFree),
            "a page above the break" => (keepPages + 5 * PageSize, FreeStatus.NeverAllocated),
            "a block past its page's carving" => (keep + 64, FreeStatus.NotAllocated),
            "a block in a page never used" => (_machine.Layout.Start + 7 * PageSize, FreeStatus.NeverAllocated),
            _ => (keep + 68, FreeStatus.Misaligned),
        };
        HeapStatistics before = Stats;
        int frames = _machine.Frames.Outstanding;

        Assert.Equal(expected, Heap.Free((void*)address));

        HeapStatistics after = Stats;
        Assert.Equal(before.BadFrees + 1, after.BadFrees);
        Assert.Equal(expected, Heap.LastBadFree);
        Assert.Equal(address, Heap.LastBadFreeAddress);
        Assert.Equal(frames, _machine.Frames.Outstanding);
        Assert.Equal(before.BlockBytesInUse, after.BlockBytesInUse);
        Assert.Equal(before.BlockBytesFree, after.BlockBytesFree);
        Assert.Equal(before.PagesInUse, after.PagesInUse);
        Assert.Equal(before.HoleCount, after.HoleCount);
        Assert.Equal(before.Break, after.Break);
        Assert.Equal(before.Frees, after.Frees);
        Assert.Equal(64UL, Heap.UsableSize((void*)keep));
        Assert.Equal(PageSize, Heap.UsableSize((void*)keepPages));
    }

    private ulong FreeFirst(ulong address)
    {
        Assert.Equal(FreeStatus.Freed, Heap.Free((void*)address));
        return address;
    }

    [Fact]
    public void Each_kind_of_bad_free_has_its_own_counter()
    {
        ulong block = (ulong)Heap.Allocate(32);
        Heap.Allocate(32);
        Heap.Free((void*)block);

        Heap.Free((void*)(_machine.Layout.End + 64));
        Heap.Free((void*)block);
        Heap.Free((void*)(block + 32 + 8));
        Heap.Free((void*)(block + 4));
        Heap.Free((void*)(_machine.Layout.Start + 7 * PageSize));
        Heap.Free((void*)(block + 32 * 3));

        HeapStatistics stats = Stats;
        Assert.Equal(1UL, stats.OutsideHeapFrees);
        Assert.Equal(1UL, stats.DoubleFrees);
        Assert.Equal(1UL, stats.InsideAllocationFrees);
        Assert.Equal(1UL, stats.MisalignedFrees);
        Assert.Equal(1UL, stats.NeverAllocatedFrees);
        Assert.Equal(1UL, stats.NotAllocatedFrees);
        Assert.Equal(6UL, stats.BadFrees);
    }

    [Fact]
    public void Frame_exhaustion_in_the_middle_of_an_allocation_leaves_nothing_mapped()
    {
        Heap.Allocate(PageSize);
        for (int allowed = 0; allowed < 6; allowed++)
        {
            _machine.Frames.AllowOnly(allowed);
            int outstanding = _machine.Frames.Outstanding;
            HeapStatistics before = Stats;

            Assert.True(Heap.Allocate(6 * PageSize) == null);

            Assert.Equal(outstanding, _machine.Frames.Outstanding);
            Assert.Equal(before.Frames, Stats.Frames);
            Assert.Equal(before.Break, Stats.Break);
            for (ulong page = before.Break; page < before.Break + 6 * PageSize; page += PageSize)
            {
                Assert.False(_machine.IsMapped(page));
                Assert.Equal(0UL, Heap.PhysicalAddress(page));
            }
        }
        _machine.Frames.Limit = null;
        Assert.True(Heap.Allocate(6 * PageSize) != null);
    }

    [Fact]
    public void Running_out_of_frames_for_a_page_table_undoes_the_pages_mapped_before_it()
    {
        // Fill the heap up to just below a 2 MiB boundary so the next allocation needs a new page table.
        ulong start = _machine.Layout.PageAreaStart;
        ulong boundary = MemConstants.AlignUp(start + 4 * PageSize, MemConstants.LargePageSize);
        Heap.Allocate(boundary - start - 2 * PageSize);
        int tried = 0;
        for (int allowed = 0; ; allowed++)
        {
            _machine.Frames.AllowOnly(allowed);
            int outstanding = _machine.Frames.Outstanding;
            void* p = Heap.Allocate(4 * PageSize);
            if (p != null)
            {
                // Four pages and one new page table.
                Assert.Equal(5, allowed);
                break;
            }
            tried++;
            Assert.Equal(outstanding, _machine.Frames.Outstanding);
            Assert.False(_machine.IsMapped(boundary - 2 * PageSize));
        }
        Assert.Equal(5, tried);
    }

    [Fact]
    public void Without_frames_a_small_request_borrows_a_larger_free_block()
    {
        void* big = Heap.Allocate(256);
        _machine.Frames.AllowOnly(0);

        void* small = Heap.Allocate(8);

        Assert.Equal((ulong)big + 256, (ulong)small);
        Assert.Equal(1UL, Stats.BlockBorrows);
        Assert.True(Heap.Allocate(512) == null);
    }

    [Fact]
    public void Reallocate_of_null_allocates()
    {
        void* p = Heap.Reallocate(null, 100);

        Assert.Equal(128UL, Heap.UsableSize(p));
    }

    [Fact]
    public void Reallocate_to_zero_frees()
    {
        void* p = Heap.Allocate(3 * PageSize);

        Assert.True(Heap.Reallocate(p, 0) == null);

        Assert.Equal(FreeStatus.DoubleFree, Heap.Check(p));
        Assert.Equal(_machine.BaselineFrames, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Reallocate_within_the_block_keeps_the_address()
    {
        void* p = Heap.Allocate(20);

        Assert.Equal((ulong)p, (ulong)Heap.Reallocate(p, 32));
        Assert.Equal((ulong)p, (ulong)Heap.Reallocate(p, 1));
    }

    [Fact]
    public void Growing_a_block_moves_it_and_keeps_its_contents()
    {
        byte* p = (byte*)Heap.Allocate(24);
        Fill(p, 24, 7);

        byte* q = (byte*)Heap.Reallocate(p, 3000);

        Assert.True(InPageArea(q));
        AssertPattern(q, 24, 7);
        Assert.Equal(FreeStatus.DoubleFree, Heap.Check(p));
    }

    [Fact]
    public void Growing_a_page_allocation_takes_the_following_hole_in_place()
    {
        byte* p = (byte*)Heap.Allocate(2 * PageSize);
        void* hole = Heap.Allocate(5 * PageSize);
        Heap.Allocate(PageSize);
        Fill(p, 2 * PageSize, 3);
        Heap.Free(hole);

        Assert.Equal((ulong)p, (ulong)Heap.Reallocate(p, 4 * PageSize + 1));

        Assert.Equal(5 * PageSize, Heap.UsableSize(p));
        AssertPattern(p, 2 * PageSize, 3);
        Assert.Equal(2 * PageSize, Stats.LargestHoleBytes);
        Assert.NotEqual(0UL, Heap.PhysicalAddress((ulong)p + 4 * PageSize));
    }

    [Fact]
    public void Growing_the_topmost_page_allocation_raises_the_break()
    {
        byte* p = (byte*)Heap.Allocate(2 * PageSize);

        Assert.Equal((ulong)p, (ulong)Heap.Reallocate(p, 9 * PageSize));

        Assert.Equal((ulong)p + 9 * PageSize, Stats.Break);
    }

    [Fact]
    public void Growing_a_page_allocation_with_no_room_after_it_moves_it()
    {
        byte* p = (byte*)Heap.Allocate(2 * PageSize);
        Heap.Allocate(PageSize);
        Fill(p, 2 * PageSize, 9);

        byte* q = (byte*)Heap.Reallocate(p, 3 * PageSize);

        Assert.NotEqual((ulong)p, (ulong)q);
        AssertPattern(q, 2 * PageSize, 9);
        Assert.Equal(1UL, Stats.HoleCount);
    }

    [Fact]
    public void Shrinking_a_page_allocation_releases_its_tail_in_place()
    {
        byte* p = (byte*)Heap.Allocate(6 * PageSize);
        Fill(p, PageSize, 5);

        Assert.Equal((ulong)p, (ulong)Heap.Reallocate(p, PageSize + 1));

        Assert.Equal(2 * PageSize, Heap.UsableSize(p));
        Assert.Equal((ulong)p + 2 * PageSize, Stats.Break);
        Assert.False(_machine.IsMapped((ulong)p + 2 * PageSize));
        AssertPattern(p, PageSize, 5);
    }

    [Fact]
    public void A_failed_reallocation_leaves_the_original_intact()
    {
        byte* p = (byte*)Heap.Allocate(2 * PageSize);
        Heap.Allocate(PageSize);
        Fill(p, 2 * PageSize, 4);
        _machine.Frames.AllowOnly(0);
        int outstanding = _machine.Frames.Outstanding;

        Assert.True(Heap.Reallocate(p, 3 * PageSize) == null);
        Assert.True(Heap.Reallocate(p, _machine.Layout.Size) == null);

        Assert.Equal(2 * PageSize, Heap.UsableSize(p));
        AssertPattern(p, 2 * PageSize, 4);
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Reallocate_of_a_bad_pointer_returns_null_and_is_counted()
    {
        void* p = Heap.Allocate(64);
        Heap.Free(p);

        Assert.True(Heap.Reallocate(p, 128) == null);

        Assert.Equal(1UL, Stats.DoubleFrees);
        Assert.Equal(FreeStatus.DoubleFree, Heap.LastBadFree);
    }

    [Fact]
    public void Scrubbing_is_off_by_default()
    {
        byte* p = (byte*)Heap.Allocate(64);
        Heap.Allocate(64);
        Fill(p, 64, 1);
        Heap.Free(p);

        Assert.Equal(1, p[10]);
        Assert.False(Heap.Scrub);
    }

    [Fact]
    public void Scrubbing_fills_allocations_and_freed_memory_with_their_bytes()
    {
        Heap.Scrub = true;
        byte* block = (byte*)Heap.Allocate(64);
        Heap.Allocate(64);
        byte* pages = (byte*)Heap.Allocate(2 * PageSize);
        AssertPattern(block, 64, HeapScrub.OnAllocation);
        AssertPattern(pages, 2 * PageSize, HeapScrub.OnAllocation);

        Heap.Free(block);
        Heap.Free(pages);

        // A freed block's first two bytes are its free-list link.
        AssertPattern(block + 2, 62, HeapScrub.OnFree);
        // On the host the range stays readable after the pages are unmapped.
        AssertPattern(pages, 2 * PageSize, HeapScrub.OnFree);
    }

    [Fact]
    public void Allocate_zeroed_clears_the_memory()
    {
        Heap.Scrub = true;

        byte* p = (byte*)Heap.AllocateZeroed(300);

        AssertPattern(p, 512, 0);
    }

    [Fact]
    public void Statistics_add_up()
    {
        void* a = Heap.Allocate(10);
        Heap.Allocate(1000);
        void* c = Heap.Allocate(3 * PageSize);
        Heap.Allocate(PageSize);
        Heap.Free(a);
        Heap.Free(c);
        Heap.Free(c);

        HeapStatistics stats = Stats;
        Assert.Equal(1024UL, stats.BlockBytesInUse);
        // The 16-byte class's page went back with its only block.
        Assert.Equal(1UL, stats.BlockPages);
        Assert.Equal(PageSize, stats.BlockBytesInUse + stats.BlockBytesFree);
        Assert.Equal(PageSize, stats.PageBytesInUse);
        Assert.Equal(3 * PageSize, stats.PageBytesFree);
        Assert.Equal(1UL, stats.HoleCount);
        Assert.Equal(3 * PageSize, stats.LargestHoleBytes);
        Assert.Equal(_machine.Layout.PageAreaStart + 4 * PageSize, stats.Break);
        Assert.Equal(_machine.Layout.End, stats.Limit);
        Assert.Equal(2UL, stats.Frames);
        Assert.Equal(4UL, stats.Allocations);
        Assert.Equal(2UL, stats.Frees);
        Assert.Equal(1UL, stats.BadFrees);
        Assert.Equal(_machine.Metadata.Size, stats.MetadataBytes);
    }

    [Theory]
    [InlineData(256UL)]
    [InlineData(1024UL)]
    public void Metadata_stays_under_one_percent_of_the_managed_range_whatever_the_RAM(ulong heapMiB)
    {
        // The full 32 MiB block area, the page area's records and 4 B per page of the range (virtual to
        // physical); no part per frame of RAM, since physical to virtual goes through frame tags.
        var layout = new KernelHeapLayout(0xFFFF_C000_0000_0000, heapMiB * MemConstants.MiB, KernelHeapLayout.MaximumBlockAreaSize);

        ulong bytes = KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(layout);

        Assert.True(layout.IsValid);
        Assert.Equal(
            BlockAllocator<RecordingBacking>.MetadataBytes(layout.BlockAreaPages)
                + PageAllocator<RecordingBacking>.MetadataBytes(layout.PageAreaPages)
                + layout.RangePages * sizeof(uint),
            bytes);
        Assert.True(bytes * 100 <= layout.Size, bytes.ToString());
    }

    private static void Fill(byte* p, ulong length, byte value) => new Span<byte>(p, (int)length).Fill(value);

    private static void AssertPattern(byte* p, ulong length, byte value) =>
        Assert.True(new Span<byte>(p, (int)length).IndexOfAnyExcept(value) < 0, "memory differs from " + value);
}
