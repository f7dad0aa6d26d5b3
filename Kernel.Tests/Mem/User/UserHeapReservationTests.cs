using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// FOS's allocate_user_mem and free_user_mem on the emulated machine (<see cref="UserAddressSpace{TMem, TTlb}.ReserveHeap"/>,
/// <see cref="UserAddressSpace{TMem, TTlb}.FreeHeap"/>) and the lazy first touch (<see cref="UserAddressSpace{TMem, TTlb}.BackReservedPage"/>):
/// which frames move, what the entries hold, and the counters after every step.
/// </summary>
public sealed unsafe class UserHeapReservationTests : IDisposable
{
    private const ulong Page = MemConstants.PageSize;
    private const ulong Region = MemConstants.LargePageSize;

    // A fresh lower half reaches the heap through a new PDPT, a new page directory and one page table per 2 MiB.
    private const int TablesAboveTheFirstPageTable = 2;

    private const ulong BackedFlags = PageTableEntry.PresentBit | PageTableEntry.WritableBit | PageTableEntry.UserBit
        | PageTableEntry.NoExecuteBit | PageTableEntry.UserHeapReservedBit;

    private readonly UserSpaceMachine _machine = new UserSpaceMachine();

    public void Dispose() => _machine.Dispose();

    private UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> Space => _machine.Space;

    private void AssertCounters(ulong reserved, ulong resident, ulong tables)
    {
        Assert.Equal(reserved, Space.HeapReservedPages);
        Assert.Equal(resident, Space.HeapResidentPages);
        Assert.Equal(resident, Space.ResidentPages);
        Assert.Equal(tables, Space.TableFrames);
        Assert.Equal((int)(resident + tables), _machine.Held);
    }

    [Fact]
    public void Reserving_takes_no_frame_for_the_pages_only_the_three_tables_of_a_fresh_region()
    {
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.HeapBase, 16 * Page));

        AssertCounters(reserved: 16, resident: 0, tables: 1 + TablesAboveTheFirstPageTable + 1);
        for (ulong page = UserLayout.HeapBase; page < UserLayout.HeapBase + 16 * Page; page += Page)
        {
            Assert.Equal(PageTableEntry.UserHeapReservedBit, _machine.Pte(page));
            Assert.True(Space.Mapper.TryGetReservation(page, out PageFlags marks));
            Assert.Equal(PageFlags.UserHeapReserved, marks);
            Assert.Equal(PagingStatus.NotMapped, Space.Mapper.Translate(page, out _));
        }
        Assert.Equal(0UL, _machine.Pte(UserLayout.HeapBase + 16 * Page));
        // The tables above a reservation carry U/S, so a first touch needs nothing but the leaf.
        Assert.Equal(PagingStatus.Success, Space.Mapper.Walk(UserLayout.HeapBase, out PageWalk walk));
        Assert.True(walk.Pml4Entry.IsUser && walk.PdptEntry.IsUser && walk.PdEntry.IsUser);
    }

    [Fact]
    public void A_reservation_across_a_2_MiB_boundary_takes_one_page_table_per_region()
    {
        ulong start = UserLayout.HeapBase + Region - 2 * Page;

        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(start, 4 * Page));

        AssertCounters(reserved: 4, resident: 0, tables: 1 + TablesAboveTheFirstPageTable + 2);
    }

    [Fact]
    public void A_second_reservation_in_a_reached_region_takes_no_frame_at_all()
    {
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.HeapBase, Page));
        int held = _machine.Held;

        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.HeapBase + 8 * Page, 100 * Page));

        Assert.Equal(held, _machine.Held);
        AssertCounters(reserved: 101, resident: 0, tables: 4);
    }

    [Fact]
    public void The_first_touch_maps_a_zeroed_frame_user_rw_nx_and_keeps_the_mark()
    {
        ulong page = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(page, 2 * Page));

        // Any address in the page backs the page; the frame source hands out frames full of junk.
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(page + 0x7FF));

        ulong frame = _machine.FrameOf(page);
        Assert.True(_machine.Frames.Owns(frame));
        Assert.Equal(frame | BackedFlags, _machine.Pte(page));
        for (ulong i = 0; i < Page; i++)
        {
            Assert.Equal(0, _machine.Bytes(frame)[i]);
        }
        Assert.False(Space.Mapper.TryGetReservation(page, out _));
        Assert.Equal(PageTableEntry.UserHeapReservedBit, _machine.Pte(page + Page));
        AssertCounters(reserved: 2, resident: 1, tables: 4);
    }

    [Fact]
    public void Touching_a_page_twice_takes_one_frame()
    {
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.PageAreaBase, Page));
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(UserLayout.PageAreaBase));
        int held = _machine.Held;

        Assert.Equal(UserMemoryStatus.NotReserved, Space.BackReservedPage(UserLayout.PageAreaBase + 8));

        Assert.Equal(held, _machine.Held);
        AssertCounters(reserved: 1, resident: 1, tables: 4);
    }

    [Fact]
    public void Freeing_returns_exactly_the_frames_of_the_touched_pages_and_every_table()
    {
        ulong start = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(start, 8 * Page));
        var frames = new List<ulong>();
        foreach (ulong touched in new ulong[] { 0, 3, 7 })
        {
            Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(start + touched * Page));
            frames.Add(_machine.FrameOf(start + touched * Page));
        }
        AssertCounters(reserved: 8, resident: 3, tables: 4);

        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(start, 8 * Page, out ulong freed));

        Assert.Equal(3UL, freed);
        foreach (ulong frame in frames)
        {
            Assert.False(_machine.Frames.Owns(frame));
        }
        AssertCounters(reserved: 0, resident: 0, tables: 1);
        Assert.Equal("", _machine.Snapshot());
    }

    [Fact]
    public void Freeing_part_of_a_reservation_leaves_the_pages_outside_the_range_as_they_were()
    {
        ulong start = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(start, 8 * Page));
        var kept = new Dictionary<ulong, ulong>();
        for (ulong i = 0; i < 8; i += 2)
        {
            Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(start + i * Page));
            _machine.Bytes(_machine.FrameOf(start + i * Page))[0] = (byte)(0x10 + i);
        }
        for (ulong i = 0; i < 8; i++)
        {
            if (i < 2 || i >= 6)
            {
                kept[start + i * Page] = _machine.Pte(start + i * Page);
            }
        }

        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(start + 2 * Page, 4 * Page, out ulong freed));

        Assert.Equal(2UL, freed);
        foreach (var (page, entry) in kept)
        {
            Assert.Equal(entry, _machine.Pte(page));
        }
        Assert.Equal(0x10, _machine.Bytes(_machine.FrameOf(start))[0]);
        Assert.Equal(0x16, _machine.Bytes(_machine.FrameOf(start + 6 * Page))[0]);
        for (ulong i = 2; i < 6; i++)
        {
            Assert.Equal(0UL, _machine.Pte(start + i * Page));
        }
        AssertCounters(reserved: 4, resident: 2, tables: 4);
    }

    [Fact]
    public void Freeing_releases_a_page_table_it_emptied_and_keeps_the_one_still_in_use()
    {
        ulong start = UserLayout.HeapBase + Region - 2 * Page;
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(start, 4 * Page));
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(start + 3 * Page));

        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(start, 2 * Page, out ulong freed));

        Assert.Equal(0UL, freed);
        AssertCounters(reserved: 2, resident: 1, tables: 4);
        Assert.Equal(PagingStatus.Success, Space.Mapper.Walk(start, out PageWalk walk));
        Assert.Equal(PageTableLevel.PageDirectory, walk.StoppedAt);

        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(start + 2 * Page, 2 * Page, out freed));

        Assert.Equal(1UL, freed);
        AssertCounters(reserved: 0, resident: 0, tables: 1);
    }

    [Fact]
    public void Freeing_a_range_never_reserved_changes_nothing_and_succeeds()
    {
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.PageAreaBase, Page));
        string before = _machine.Snapshot();

        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(UserLayout.HeapBase, 64 * Page, out ulong freed));
        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(UserLayout.PageAreaBase + Page, 64 * Page, out ulong freedAbove));

        Assert.Equal(0UL, freed + freedAbove);
        Assert.Equal(before, _machine.Snapshot());
        AssertCounters(reserved: 1, resident: 0, tables: 4);
    }

    [Fact]
    public void Freeing_the_same_range_twice_frees_its_frames_once()
    {
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.PageAreaBase, 2 * Page));
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(UserLayout.PageAreaBase));
        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(UserLayout.PageAreaBase, 2 * Page, out ulong first));

        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(UserLayout.PageAreaBase, 2 * Page, out ulong second));

        Assert.Equal(1UL, first);
        Assert.Equal(0UL, second);
        AssertCounters(reserved: 0, resident: 0, tables: 1);
    }

    [Fact]
    public void Freeing_leaves_a_guard_page_and_a_page_mapped_without_the_heap_mark_alone()
    {
        ulong start = UserLayout.PageAreaBase;
        Assert.Equal(PagingStatus.Success, Space.MapZeroed(start, 1));
        Assert.Equal(PagingStatus.Success, Space.Mapper.Reserve(start + Page, PageFlags.Guard));
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(start + 2 * Page, 2 * Page));
        ulong mapped = _machine.Pte(start);

        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(start, 4 * Page, out ulong freed));

        Assert.Equal(0UL, freed);
        Assert.Equal(mapped, _machine.Pte(start));
        Assert.Equal(PageTableEntry.GuardBit, _machine.Pte(start + Page));
        Assert.Equal(0UL, _machine.Pte(start + 2 * Page));
        Assert.Equal(0UL, Space.HeapReservedPages);
        Assert.Equal(0UL, Space.HeapResidentPages);
        Assert.Equal(1UL, Space.ResidentPages);
    }

    [Fact]
    public void A_freed_page_reserved_again_reads_as_zero_on_its_next_touch()
    {
        ulong page = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(page, Page));
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(page));
        new Span<byte>(_machine.Bytes(_machine.FrameOf(page)), (int)Page).Fill(0x77);
        Assert.Equal(UserMemoryStatus.Ok, Space.FreeHeap(page, Page, out _));

        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(page, Page));
        Assert.Equal(UserMemoryStatus.NotReserved, Space.BackReservedPage(page + Page));
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(page));

        byte* bytes = _machine.Bytes(_machine.FrameOf(page));
        for (ulong i = 0; i < Page; i++)
        {
            Assert.Equal(0, bytes[i]);
        }
        AssertCounters(reserved: 1, resident: 1, tables: 4);
    }

    [Fact]
    public void The_runtime_region_is_backed_on_first_touch_but_is_not_heap_and_free_cannot_reach_it()
    {
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveRuntimeRegion());
        ulong tables = Space.TableFrames;
        Assert.Equal(0UL, Space.HeapReservedPages);
        Assert.Equal((ulong)(1 + TablesAboveTheFirstPageTable + UserLayout.RuntimeRegionSize / Region), tables);

        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(UserLayout.HeapMetadataBase + 5));

        Assert.Equal(1UL, Space.ResidentPages);
        Assert.Equal(0UL, Space.HeapResidentPages);
        Assert.Equal(UserMemoryStatus.OutsideHeap, Space.FreeHeap(UserLayout.RuntimeRegionBase, UserLayout.RuntimeRegionSize, out _));
        Assert.Equal(UserMemoryStatus.NotReserved, Space.BackReservedPage(UserLayout.RuntimeRegionBase + UserLayout.RuntimeRegionSize));
        Assert.Equal(1UL, Space.ResidentPages);
        Assert.Equal((int)(tables + 1), _machine.Held);
    }

    [Fact]
    public void Destroy_returns_every_reservation_table_and_touched_frame()
    {
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveRuntimeRegion());
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(UserLayout.RuntimeRegionBase));
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.HeapBase, 3 * Region));
        Assert.Equal(UserMemoryStatus.Ok, Space.ReserveHeap(UserLayout.HeapEnd - 4 * Page, 4 * Page));
        for (ulong page = UserLayout.HeapBase; page < UserLayout.HeapBase + 3 * Region; page += 97 * Page)
        {
            Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(page));
        }
        Assert.Equal(UserMemoryStatus.Ok, Space.BackReservedPage(UserLayout.HeapEnd - 1));
        Assert.True(_machine.Held > 20);

        Space.Destroy();

        Assert.Equal(0, _machine.Held);
        Assert.Equal(0UL, Space.HeapReservedPages);
        Assert.Equal(0UL, Space.HeapResidentPages);
        Assert.Equal(0UL, Space.ResidentPages);
        Assert.Equal(0UL, Space.TableFrames);
    }

    [Fact]
    public void The_whole_heap_can_be_reserved_at_once_and_freed_at_once()
    {
        using var big = new UserSpaceMachine(frames: 1024);
        var space = big.Space;
        ulong size = UserLayout.HeapEnd - UserLayout.HeapBase;

        Assert.Equal(UserMemoryStatus.Ok, space.ReserveHeap(UserLayout.HeapBase, size));

        Assert.Equal(size / Page, space.HeapReservedPages);
        Assert.Equal(1 + (ulong)TablesAboveTheFirstPageTable + size / Region, space.TableFrames);
        Assert.Equal(UserMemoryStatus.Ok, space.BackReservedPage(UserLayout.HeapEnd - Page));
        Assert.Equal(UserMemoryStatus.Ok, space.FreeHeap(UserLayout.HeapBase, size, out ulong freed));
        Assert.Equal(1UL, freed);
        Assert.Equal(1UL, space.TableFrames);
        Assert.Equal(1, big.Held);
    }
}
