using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>The FOS user heap: pages reserved by a system call, backed on first touch, released by free.</summary>
public class MapperReservationTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    [Fact]
    public void Reserving_creates_page_tables_but_allocates_no_frame_for_the_page()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved));

        Assert.Equal(3, _machine.TableFrames);
        Assert.Equal(4, _machine.Frames.Allocations);
    }

    [Fact]
    public void A_reserved_page_is_marked_but_not_present()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);

        Assert.True(_machine.Mapper.TryGetReservation(UserBase, out PageFlags marks));
        Assert.Equal(PageFlags.UserHeapReserved, marks);
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase, out _));
        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.Equal(PageTableEntry.UserHeapReservedBit, walk.PtEntry.Value);
    }

    [Fact]
    public void The_reservation_lookup_gives_a_swapped_page_s_slot_and_an_unswapped_page_none()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);
        _machine.Mapper.Reserve(UserBase + MemConstants.PageSize, PageFlags.UserHeapReserved);
        Assert.Equal(PagingStatus.Success, _machine.Mapper.MarkSwapped(UserBase, 37));

        Assert.True(_machine.Mapper.TryGetReservationEntry(UserBase, out PageTableEntry swapped));
        Assert.True(swapped.IsSwapped);
        Assert.Equal(37UL, swapped.SwapSlot);
        Assert.Equal(PageFlags.UserHeapReserved, swapped.Marks & PageFlags.UserHeapReserved);
        Assert.True(_machine.Mapper.TryGetReservationEntry(UserBase + MemConstants.PageSize, out PageTableEntry plain));
        Assert.False(plain.IsSwapped);
        Assert.False(_machine.Mapper.TryGetReservationEntry(UserBase + 2 * MemConstants.PageSize, out PageTableEntry none));
        Assert.Equal(0UL, none.Value);
    }

    [Fact]
    public void The_tables_above_a_user_heap_reservation_carry_the_user_bit()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.True(walk.Pml4Entry.IsUser && walk.PdptEntry.IsUser && walk.PdEntry.IsUser);
    }

    [Fact]
    public void The_tables_above_a_kernel_guard_page_do_not_carry_the_user_bit()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Reserve(KernelBase + 0x10_0000, PageFlags.Guard));

        _machine.Mapper.Walk(KernelBase + 0x10_0000, out PageWalk walk);
        Assert.False(walk.Pml4Entry.IsUser || walk.PdptEntry.IsUser || walk.PdEntry.IsUser);
        Assert.True(walk.PtEntry.IsGuard);
        Assert.True(_machine.Mapper.TryGetReservation(KernelBase + 0x10_0000, out PageFlags marks));
        Assert.Equal(PageFlags.Guard, marks);
    }

    [Fact]
    public void Backing_a_reserved_page_keeps_its_user_heap_mark()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);
        int tables = _machine.TableFrames;

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, Frame(5), PageFlags.User | PageFlags.Writable, PageSize.Size4KiB));

        Assert.Equal(tables, _machine.TableFrames);
        _machine.Mapper.Translate(UserBase, out Translation translation);
        Assert.Equal(PageFlags.User | PageFlags.Writable | PageFlags.UserHeapReserved, translation.Flags);
        Assert.False(_machine.Mapper.TryGetReservation(UserBase, out _));
    }

    [Fact]
    public void Backing_a_reserved_page_needs_no_new_table_even_when_frames_are_gone()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);
        _machine.Frames.AllowOnly(0);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, Frame(5), PageFlags.User | PageFlags.Writable, PageSize.Size4KiB));
    }

    [Fact]
    public void Evicting_a_backed_user_heap_page_leaves_it_reserved()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);
        _machine.Mapper.Map(UserBase, Frame(5), PageFlags.User | PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out ulong physical));

        Assert.Equal(Frame(5), physical);
        Assert.True(_machine.Mapper.TryGetReservation(UserBase, out PageFlags marks));
        Assert.Equal(PageFlags.UserHeapReserved, marks);
        Assert.Equal(3, _machine.TableFrames);
    }

    [Fact]
    public void Unreserving_the_last_reservation_releases_the_tables()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Unreserve(UserBase));

        Assert.Equal(0, _machine.TableFrames);
        Assert.False(_machine.Mapper.TryGetReservation(UserBase, out _));
    }

    [Fact]
    public void A_reserved_range_spans_page_tables_without_backing_any_page()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.ReserveRange(UserBase, 1024, PageFlags.UserHeapReserved));

        Assert.Equal(4, _machine.TableFrames);
        Assert.True(_machine.Mapper.TryGetReservation(UserBase + 1023 * MemConstants.PageSize, out _));
        Assert.False(_machine.Mapper.TryGetReservation(UserBase + 1024 * MemConstants.PageSize, out _));
    }

    [Fact]
    public void Allocate_touch_and_free_of_a_user_heap_range_returns_every_frame()
    {
        // sys_allocate_user_mem, first touches, then sys_free_user_mem.
        const ulong Pages = 700;
        int before = _machine.Frames.Outstanding;
        _machine.Mapper.ReserveRange(UserBase, Pages, PageFlags.UserHeapReserved);
        for (ulong page = 0; page < Pages; page += 3)
        {
            Assert.Equal(PagingStatus.Success,
                _machine.Mapper.Map(UserBase + page * MemConstants.PageSize, Frame((int)page), PageFlags.User | PageFlags.Writable, PageSize.Size4KiB));
        }

        for (ulong page = 0; page < Pages; page++)
        {
            ulong va = UserBase + page * MemConstants.PageSize;
            if (_machine.Mapper.Translate(va, out _) == PagingStatus.Success)
            {
                Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(va, PageSize.Size4KiB, out ulong physical));
                Assert.Equal(Frame((int)page), physical);
            }
            Assert.Equal(PagingStatus.Success, _machine.Mapper.Unreserve(va));
        }

        Assert.Equal(before, _machine.Frames.Outstanding);
    }
}
