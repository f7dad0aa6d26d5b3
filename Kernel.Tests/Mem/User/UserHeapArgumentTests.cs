using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// Everything a program can pass to allocate_user_mem and free_user_mem that is not a page-aligned range of
/// the user heap is refused with its status and changes nothing: no table, no frame, no entry. What is
/// reserved already makes a reservation fail whole, and only reserved heap pages are ever backed.
/// </summary>
public sealed unsafe class UserHeapArgumentTests : IDisposable
{
    private const ulong Page = MemConstants.PageSize;
    private const ulong Region = MemConstants.LargePageSize;

    private readonly UserSpaceMachine _machine = new UserSpaceMachine();

    public UserHeapArgumentTests()
    {
        // Something in place already, so that a refusal that touched the tables would show in a snapshot.
        Assert.Equal(UserMemoryStatus.Ok, _machine.Space.ReserveRuntimeRegion());
        Assert.Equal(UserMemoryStatus.Ok, _machine.Space.ReserveHeap(UserLayout.PageAreaBase, 4 * Page));
        Assert.Equal(UserMemoryStatus.Ok, _machine.Space.BackReservedPage(UserLayout.PageAreaBase));
        byte* argument = stackalloc byte[1] { (byte)'x' };
        ulong length = 1;
        Assert.Equal(PagingStatus.Success, _machine.Space.SetUpStack(&argument, &length, 1, out _));
    }

    public void Dispose() => _machine.Dispose();

    public static TheoryData<string, ulong, ulong, UserMemoryStatus> BadRanges => new TheoryData<string, ulong, ulong, UserMemoryStatus>
    {
        { "misaligned address", UserLayout.HeapBase + 1, Page, UserMemoryStatus.Misaligned },
        { "address misaligned by half a page", UserLayout.HeapBase + Page / 2, 2 * Page, UserMemoryStatus.Misaligned },
        { "misaligned size", UserLayout.HeapBase, Page - 1, UserMemoryStatus.Misaligned },
        { "size one page and a byte", UserLayout.HeapBase, Page + 1, UserMemoryStatus.Misaligned },
        { "size 0", UserLayout.HeapBase, 0, UserMemoryStatus.Empty },
        { "size 0 outside the heap", 0, 0, UserMemoryStatus.Empty },
        { "below the heap", UserLayout.HeapBase - Page, Page, UserMemoryStatus.OutsideHeap },
        { "ending right at the heap's start", UserLayout.HeapBase - 2 * Page, 2 * Page, UserMemoryStatus.OutsideHeap },
        { "straddling the heap's start", UserLayout.HeapBase - Page, 2 * Page, UserMemoryStatus.OutsideHeap },
        { "above the heap", UserLayout.HeapEnd, Page, UserMemoryStatus.OutsideHeap },
        { "straddling the heap's end", UserLayout.HeapEnd - Page, 2 * Page, UserMemoryStatus.OutsideHeap },
        { "the whole heap and a page", UserLayout.HeapBase, UserLayout.HeapEnd - UserLayout.HeapBase + Page, UserMemoryStatus.OutsideHeap },
        { "va + size wraps to 0", UserLayout.HeapBase, unchecked(0UL - UserLayout.HeapBase), UserMemoryStatus.OutsideHeap },
        { "va + size wraps into the heap", UserLayout.HeapBase + Page, unchecked(0UL - Page), UserMemoryStatus.OutsideHeap },
        { "size 2^64 - 4096", UserLayout.HeapBase, unchecked(0UL - Page), UserMemoryStatus.OutsideHeap },
        { "the highest page with a wrapping size", 0xFFFF_FFFF_FFFF_F000, 2 * Page, UserMemoryStatus.OutsideHeap },
        { "a page of the runtime region", UserLayout.RuntimeRegionBase, Page, UserMemoryStatus.OutsideHeap },
        { "the heap metadata", UserLayout.HeapMetadataBase, Page, UserMemoryStatus.OutsideHeap },
        { "the stack", UserLayout.StackBottom, Page, UserMemoryStatus.OutsideHeap },
        { "the stack guard", UserLayout.StackGuard, Page, UserMemoryStatus.OutsideHeap },
        { "the program image", 0x40_0000, Page, UserMemoryStatus.OutsideHeap },
        { "page 0", 0, Page, UserMemoryStatus.OutsideHeap },
        { "the kernel half", 0xFFFF_8000_0000_0000, Page, UserMemoryStatus.OutsideHeap },
        { "the kernel image", 0xFFFF_FFFF_8000_0000, Page, UserMemoryStatus.OutsideHeap },
        { "non-canonical, just above the lower half", 0x0000_8000_0000_0000, Page, UserMemoryStatus.OutsideHeap },
        { "non-canonical, the heap with bit 63 set", 0x8000_0000_8000_0000, Page, UserMemoryStatus.OutsideHeap },
        { "non-canonical, the heap with bit 47 set", 0x0000_8000_8000_0000, Page, UserMemoryStatus.OutsideHeap },
    };

    [Theory]
    [MemberData(nameof(BadRanges))]
    public void A_bad_range_is_refused_by_reserve_and_changes_nothing(string what, ulong address, ulong size, UserMemoryStatus expected)
    {
        string before = _machine.Snapshot();
        int held = _machine.Held;
        ulong reserved = _machine.Space.HeapReservedPages;

        Assert.True(expected == _machine.Space.ReserveHeap(address, size), what);

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(held, _machine.Held);
        Assert.Equal(reserved, _machine.Space.HeapReservedPages);
    }

    [Theory]
    [MemberData(nameof(BadRanges))]
    public void A_bad_range_is_refused_by_free_and_changes_nothing(string what, ulong address, ulong size, UserMemoryStatus expected)
    {
        string before = _machine.Snapshot();
        int held = _machine.Held;

        Assert.True(expected == _machine.Space.FreeHeap(address, size, out ulong freed), what);

        Assert.Equal(0UL, freed);
        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(held, _machine.Held);
    }

    [Fact]
    public void Reserving_a_reserved_range_again_fails_whole()
    {
        string before = _machine.Snapshot();

        Assert.Equal(UserMemoryStatus.AlreadyReserved, _machine.Space.ReserveHeap(UserLayout.PageAreaBase, 4 * Page));
        Assert.Equal(UserMemoryStatus.AlreadyReserved, _machine.Space.ReserveHeap(UserLayout.PageAreaBase + Page, Page));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(4UL, _machine.Space.HeapReservedPages);
    }

    [Theory]
    [InlineData(-2, 4)] // the range's last pages overlap the reservation's first (a backed page among them)
    [InlineData(3, 4)] // its first page is the reservation's last
    [InlineData(-1, 6)] // it covers the reservation and more on both sides
    [InlineData(2, 1)] // one reserved page inside
    public void A_partial_overlap_reserves_nothing_at_all(int firstPage, int pages)
    {
        string before = _machine.Snapshot();
        int held = _machine.Held;
        ulong address = UserLayout.PageAreaBase + (ulong)(long)firstPage * Page;

        Assert.Equal(UserMemoryStatus.AlreadyReserved, _machine.Space.ReserveHeap(address, (ulong)pages * Page));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(held, _machine.Held);
        Assert.Equal(4UL, _machine.Space.HeapReservedPages);
        Assert.Equal(1UL, _machine.Space.HeapResidentPages);
    }

    [Fact]
    public void An_overlap_found_after_new_tables_were_made_releases_them_again()
    {
        // The range starts in a 2 MiB region no table reaches yet and ends on a page reserved earlier, so the
        // reservation makes a page table, then meets the overlap and must undo everything.
        ulong existing = UserLayout.HeapBase + 4 * Region;
        Assert.Equal(UserMemoryStatus.Ok, _machine.Space.ReserveHeap(existing, Page));
        string before = _machine.Snapshot();
        int held = _machine.Held;
        int allocations = _machine.Frames.Allocations;

        Assert.Equal(UserMemoryStatus.AlreadyReserved, _machine.Space.ReserveHeap(existing - 2 * Page, 3 * Page));

        Assert.True(_machine.Frames.Allocations > allocations, "the attempt never made a table: the test does not test the undo");
        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(held, _machine.Held);
    }

    [Fact]
    public void Reserving_over_a_page_mapped_without_the_mark_is_refused()
    {
        ulong page = UserLayout.HeapBase + 8 * Region;
        Assert.Equal(PagingStatus.Success, _machine.Space.MapZeroed(page, 1));
        Assert.Equal(PagingStatus.Success, _machine.Space.Mapper.Reserve(page + Page, PageFlags.Guard));
        string before = _machine.Snapshot();

        Assert.Equal(UserMemoryStatus.AlreadyReserved, _machine.Space.ReserveHeap(page, Page));
        Assert.Equal(UserMemoryStatus.AlreadyReserved, _machine.Space.ReserveHeap(page + Page, Page));

        Assert.Equal(before, _machine.Snapshot());
    }

    public static TheoryData<string, ulong> PagesThatAreNotReservedHeap => new TheoryData<string, ulong>
    {
        { "a heap page never reserved", UserLayout.HeapBase },
        { "a heap page next to a reservation", UserLayout.PageAreaBase + 4 * Page },
        { "a present heap page", UserLayout.PageAreaBase },
        { "a present heap page, not at its start", UserLayout.PageAreaBase + Page - 1 },
        { "the stack guard", UserLayout.StackGuard },
        { "page 0", 0 },
        { "the last byte of the lower half", UserLayout.End - 1 },
        { "the first byte past the runtime region", UserLayout.RuntimeRegionBase + UserLayout.RuntimeRegionSize },
        { "the kernel half", 0xFFFF_8000_0000_0000 },
        { "the highest address", ulong.MaxValue },
        { "non-canonical", 0x0000_8000_8000_0000 },
    };

    [Fact]
    public void A_stack_page_below_the_arguments_is_reserved_and_backed_on_first_touch()
    {
        int held = _machine.Held;

        Assert.Equal(UserMemoryStatus.Ok, _machine.Space.BackReservedPage(UserLayout.StackBottom));

        Assert.Equal(held + 1, _machine.Held);
        Assert.Equal(UserMemoryStatus.NotReserved, _machine.Space.BackReservedPage(UserLayout.StackBottom));
    }

    [Theory]
    [MemberData(nameof(PagesThatAreNotReservedHeap))]
    public void Only_a_reserved_not_present_page_is_backed(string what, ulong address)
    {
        string before = _machine.Snapshot();
        int held = _machine.Held;

        Assert.True(UserMemoryStatus.NotReserved == _machine.Space.BackReservedPage(address), what);

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(held, _machine.Held);
    }

    [Fact]
    public void A_guard_page_inside_the_heap_is_never_backed()
    {
        ulong page = UserLayout.HeapBase + 8 * Region;
        Assert.Equal(PagingStatus.Success, _machine.Space.Mapper.Reserve(page, PageFlags.Guard));
        int held = _machine.Held;

        Assert.Equal(UserMemoryStatus.NotReserved, _machine.Space.BackReservedPage(page));

        Assert.Equal(PageTableEntry.GuardBit, _machine.Pte(page));
        Assert.Equal(held, _machine.Held);
    }

    [Fact]
    public void Without_frames_for_its_tables_a_reservation_fails_at_every_point_and_leaves_nothing()
    {
        // The last page of one 2 MiB region no table reaches yet, the whole next one and all but the last page
        // of a third: three page tables to make, one after the other.
        ulong start = UserLayout.HeapBase + 10 * Region - Page;
        ulong size = 2 * Region;
        string before = _machine.Snapshot();
        int held = _machine.Held;
        ulong reserved = _machine.Space.HeapReservedPages;
        ulong tables = _machine.Space.TableFrames;

        for (int allowed = 0; allowed < 3; allowed++)
        {
            _machine.Frames.AllowOnly(allowed);
            Assert.Equal(UserMemoryStatus.OutOfMemory, _machine.Space.ReserveHeap(start, size));
            _machine.Frames.Limit = null;

            Assert.Equal(before, _machine.Snapshot());
            Assert.Equal(held, _machine.Held);
            Assert.Equal(reserved, _machine.Space.HeapReservedPages);
            Assert.Equal(tables, _machine.Space.TableFrames);
        }
        _machine.Frames.AllowOnly(3);
        Assert.Equal(UserMemoryStatus.Ok, _machine.Space.ReserveHeap(start, size));
        Assert.Equal(tables + 3, _machine.Space.TableFrames);
    }

    [Fact]
    public void Without_a_frame_the_first_touch_fails_and_the_page_stays_reserved()
    {
        ulong page = UserLayout.PageAreaBase + Page;
        _machine.Frames.AllowOnly(0);

        Assert.Equal(UserMemoryStatus.OutOfMemory, _machine.Space.BackReservedPage(page));

        Assert.Equal(PageTableEntry.UserHeapReservedBit, _machine.Pte(page));
        Assert.Equal(1UL, _machine.Space.HeapResidentPages);
        _machine.Frames.Limit = null;
        Assert.Equal(UserMemoryStatus.Ok, _machine.Space.BackReservedPage(page));
        Assert.Equal(2UL, _machine.Space.HeapResidentPages);
    }
}
