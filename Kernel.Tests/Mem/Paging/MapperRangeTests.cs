using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

public class MapperRangeTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    [Fact]
    public void A_range_maps_consecutive_pages_to_consecutive_frames()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.MapRange(UserBase, Frame(10), 600, PageFlags.Writable, PageSize.Size4KiB));

        for (ulong i = 0; i < 600; i++)
        {
            Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(UserBase + i * MemConstants.PageSize, out Translation translation));
            Assert.Equal(Frame(10) + i * MemConstants.PageSize, translation.PhysicalAddress);
        }
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase + 600 * MemConstants.PageSize, out _));
        Assert.Equal(4, _machine.TableFrames);
    }

    [Fact]
    public void A_range_of_2MiB_pages_maps_each_to_its_large_frame()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.MapRange(UserBase, LargeFrame(4), 3, PageFlags.Writable, PageSize.Size2MiB));

        _machine.Mapper.Translate(UserBase + 2 * MemConstants.LargePageSize + 5, out Translation translation);
        Assert.Equal(LargeFrame(6) + 5, translation.PhysicalAddress);
        Assert.Equal(PageSize.Size2MiB, translation.Size);
    }

    [Fact]
    public void A_range_that_meets_an_existing_mapping_maps_nothing()
    {
        _machine.Mapper.Map(UserBase + 5 * MemConstants.PageSize, Frame(99), PageFlags.None, PageSize.Size4KiB);
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;

        Assert.Equal(PagingStatus.AlreadyMapped, _machine.Mapper.MapRange(UserBase, Frame(0), 10, PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
    }

    [Fact]
    public void A_user_range_grants_the_user_bit_to_existing_tables_with_one_invalidation()
    {
        _machine.Mapper.Map(UserBase, Frame(0), PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.MapRange(UserBase + MemConstants.PageSize, Frame(1), 8, PageFlags.User, PageSize.Size4KiB));

        _machine.Mapper.Walk(UserBase + MemConstants.PageSize, out PageWalk walk);
        Assert.True(walk.Pml4Entry.IsUser && walk.PdptEntry.IsUser && walk.PdEntry.IsUser && walk.PtEntry.IsUser);
        Assert.Single(_machine.Tlb.Pages);
    }

    [Fact]
    public void A_range_over_reserved_user_heap_pages_backs_them_all()
    {
        _machine.Mapper.ReserveRange(UserBase, 4, PageFlags.UserHeapReserved);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.MapRange(UserBase, Frame(0), 4, PageFlags.User | PageFlags.Writable, PageSize.Size4KiB));

        _machine.Mapper.Translate(UserBase + 3 * MemConstants.PageSize, out Translation translation);
        Assert.Equal(PageFlags.User | PageFlags.Writable | PageFlags.UserHeapReserved, translation.Flags);
    }

    [Fact]
    public unsafe void Pages_map_to_frames_that_need_not_be_contiguous_and_each_table_counts_its_entries()
    {
        // 600 pages from 4 MiB: 512 fill one page table, 88 start the next.
        ulong[] frames = new ulong[600];
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i] = Frame(frames.Length - 1 - i);
        }

        fixed (ulong* list = frames)
        {
            Assert.Equal(PagingStatus.Success, _machine.Mapper.MapPages(UserBase, list, (ulong)frames.Length, PageFlags.Writable));
        }

        for (int i = 0; i < frames.Length; i++)
        {
            Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(UserBase + (ulong)i * MemConstants.PageSize, out Translation translation));
            Assert.Equal(frames[i], translation.PhysicalAddress);
        }
        _machine.Mapper.Walk(UserBase, out PageWalk first);
        _machine.Mapper.Walk(UserBase + 512 * MemConstants.PageSize, out PageWalk second);
        Assert.Equal(512U, first.PdEntry.EntryCount);
        Assert.Equal(88U, second.PdEntry.EntryCount);
        Assert.Equal(2U, first.PdptEntry.EntryCount);
        Assert.True(_machine.Mapper.VerifyEntryCounts());
        Assert.Empty(_machine.Tlb.Pages);
    }

    [Fact]
    public unsafe void Pages_that_run_out_of_page_tables_part_way_leave_every_table_as_it_was()
    {
        _machine.Mapper.Map(UserBase - MemConstants.PageSize, Frame(999), PageFlags.Writable, PageSize.Size4KiB);
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;
        ulong* frames = stackalloc ulong[1100];
        for (int i = 0; i < 1100; i++)
        {
            frames[i] = Frame(i);
        }
        // The run needs three new page tables: the first two can be had, the third cannot.
        _machine.Frames.AllowOnly(2);

        Assert.Equal(PagingStatus.OutOfFrames, _machine.Mapper.MapPages(UserBase, frames, 1100, PageFlags.Writable));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
    }

    [Fact]
    public unsafe void A_frame_list_with_a_misaligned_frame_maps_nothing()
    {
        ulong* frames = stackalloc ulong[] { Frame(0), Frame(1) + 8, Frame(2) };

        Assert.Equal(PagingStatus.MisalignedPhysicalAddress, _machine.Mapper.MapPages(UserBase, frames, 3, PageFlags.Writable));

        Assert.Equal(0, _machine.TableFrames);
    }

    [Fact]
    public unsafe void A_frame_beyond_the_physical_limit_in_a_later_table_undoes_the_tables_before()
    {
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;
        ulong* frames = stackalloc ulong[600];
        for (int i = 0; i < 600; i++)
        {
            frames[i] = Frame(i);
        }
        frames[550] = PageTableEntry.PhysicalAddressLimit;

        Assert.Equal(PagingStatus.PhysicalAddressOutOfRange, _machine.Mapper.MapPages(UserBase, frames, 600, PageFlags.Writable));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
    }

    [Fact]
    public unsafe void Unmapping_pages_gives_back_their_frames_keeps_reservations_and_releases_emptied_tables()
    {
        _machine.Mapper.ReserveRange(UserBase + 2 * MemConstants.PageSize, 2, PageFlags.UserHeapReserved);
        _machine.Mapper.MapRange(UserBase, Frame(0), 4, PageFlags.User | PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Map(UserBase + 700 * MemConstants.PageSize, Frame(700), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Tlb.Clear();
        ulong* frames = stackalloc ulong[701];

        Assert.Equal(PagingStatus.Success, _machine.Mapper.UnmapPages(UserBase, 701, frames));

        Assert.Equal(new[] { Frame(0), Frame(1), Frame(2), Frame(3), 0UL }, new[] { frames[0], frames[1], frames[2], frames[3], frames[4] });
        Assert.Equal(Frame(700), frames[700]);
        Assert.True(_machine.Mapper.TryGetReservation(UserBase + 3 * MemConstants.PageSize, out PageFlags marks));
        Assert.Equal(PageFlags.UserHeapReserved, marks);
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase, out _));
        // The first table keeps the two reservations; the second, emptied, is gone.
        Assert.Equal(3, _machine.TableFrames);
        foreach (ulong page in new ulong[] { 0, 1, 2, 3, 700 })
        {
            Assert.Contains(UserBase + page * MemConstants.PageSize, _machine.Tlb.Pages);
        }
        Assert.True(_machine.Mapper.VerifyEntryCounts());
    }
}
