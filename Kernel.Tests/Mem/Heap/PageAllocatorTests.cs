using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

public sealed unsafe class PageAllocatorTests : PageAllocatorFixture
{
    [Fact]
    public void Without_holes_allocation_extends_the_break()
    {
        Assert.Equal(At(0), Pages.Allocate(3));
        Assert.Equal(At(3), Pages.Allocate(1));

        Assert.Equal(At(4), Pages.Break);
        Assert.Equal(4, Log.Committed.Count);
        Assert.Equal(4UL * PageSize, Pages.BytesInUse);
    }

    [Fact]
    public void An_exact_fit_hole_is_taken_before_a_larger_one()
    {
        ulong[] a = AllocateRow(5, 1, 2, 1);
        Pages.Free(a[0]);
        Pages.Free(a[2]);

        Assert.Equal(a[2], Pages.Allocate(2));
        Assert.Equal(1UL, Pages.HoleCount);
    }

    [Fact]
    public void Without_an_exact_fit_the_largest_hole_is_split_from_its_start()
    {
        ulong[] a = AllocateRow(3, 1, 6, 1, 4, 1);
        Pages.Free(a[0]);
        Pages.Free(a[2]);
        Pages.Free(a[4]);

        Assert.Equal(a[2], Pages.Allocate(2));

        Assert.Equal(3UL, Pages.HoleCount);
        Assert.Equal(4UL * PageSize, Pages.LargestHoleBytes);
        // Two 4-page holes now: the rest of the split one and a[4]'s; the lower is taken.
        Assert.Equal(a[2] + 2 * PageSize, Pages.Allocate(4));
        Assert.True(Pages.Verify());
    }

    [Fact]
    public void Exact_fit_takes_the_lowest_addressed_of_several_equal_holes()
    {
        ulong[] a = AllocateRow(2, 1, 2, 1, 2, 1, 2, 1);
        // Freed out of address order, the lowest neither first nor last.
        Pages.Free(a[4]);
        Pages.Free(a[0]);
        Pages.Free(a[6]);
        Pages.Free(a[2]);
        Assert.True(Pages.Verify());

        Assert.Equal(a[0], Pages.Allocate(2));
        Assert.Equal(a[2], Pages.Allocate(2));
        Assert.Equal(a[4], Pages.Allocate(2));
        Assert.Equal(a[6], Pages.Allocate(2));
        Assert.Equal(0UL, Pages.HoleCount);
        Assert.True(Pages.Verify());
    }

    [Fact]
    public void Worst_fit_takes_the_lowest_addressed_of_several_largest_holes()
    {
        ulong[] a = AllocateRow(3, 1, 5, 1, 2, 1, 5, 1, 5, 1);
        Pages.Free(a[6]);
        Pages.Free(a[8]);
        Pages.Free(a[0]);
        Pages.Free(a[4]);
        Pages.Free(a[2]);

        // Three 5-page holes, taken lowest first; each leaves a 4-page rest.
        Assert.Equal(a[2], Pages.Allocate(1));
        Assert.Equal(a[6], Pages.Allocate(1));
        Assert.Equal(a[8], Pages.Allocate(1));
        Assert.Equal(4UL * PageSize, Pages.LargestHoleBytes);
        // Now the largest are the three 4-page rests: again the lowest, the rest of a[2]'s hole.
        Assert.Equal(a[2] + PageSize, Pages.Allocate(1));
        Assert.True(Pages.Verify());
    }

    [Fact]
    public void A_hole_made_by_a_merge_below_an_equal_hole_is_the_exact_fit()
    {
        ulong[] a = AllocateRow(1, 2, 1, 3, 1);
        Pages.Free(a[3]);
        Pages.Free(a[0]);

        Pages.Free(a[1]);

        Assert.Equal(2UL, Pages.HoleCount);
        Assert.Equal(a[0], Pages.Allocate(3));
        Assert.Equal(a[3], Pages.Allocate(3));
        Assert.True(Pages.Verify());
    }

    [Fact]
    public void Among_hundreds_of_equal_holes_custom_fit_takes_them_in_address_order()
    {
        const uint holes = 600;
        const uint pages = 4 * holes;
        using var metadata = new HostRange(PageAllocator<RecordingBacking>.MetadataBytes(pages));
        var log = new RecordingBacking.Log();
        var allocator = new PageAllocator<RecordingBacking>(new RecordingBacking(log), AreaStart, pages, (byte*)metadata.Start, metadata.Size);
        // Holes of 3 pages at the even positions and of 2 at the odd ones, each followed by a 1-page separator.
        var starts = new ulong[holes];
        for (uint i = 0; i < holes; i++)
        {
            starts[i] = allocator.Allocate(i % 2 == 0 ? 3UL : 2UL);
            Assert.NotEqual(0UL, allocator.Allocate(1));
        }
        // Freed in a scrambled order (a multiplicative permutation of 0..holes-1).
        for (uint i = 0; i < holes; i++)
        {
            Assert.Equal(FreeStatus.Freed, allocator.Free(starts[i * 7 % holes]));
        }
        Assert.True(allocator.Verify());

        // 1 page: no exact fit, so worst fit from the 3-page holes, lowest first, each leaving a 2-page rest.
        for (uint i = 0; i < holes; i += 2)
        {
            Assert.Equal(starts[i], allocator.Allocate(1));
        }
        // 2 pages: exact fit through the original 2-page holes and the rests, all in address order.
        for (uint i = 0; i < holes; i++)
        {
            ulong expected = i % 2 == 0 ? starts[i] + PageSize : starts[i];
            Assert.Equal(expected, allocator.Allocate(2));
        }
        Assert.Equal(0UL, allocator.HoleCount);
        Assert.True(allocator.Verify());
    }

    [Fact]
    public void When_the_largest_hole_is_too_small_the_break_is_extended()
    {
        ulong[] a = AllocateRow(2, 1, 3, 1);
        Pages.Free(a[0]);
        Pages.Free(a[2]);

        Assert.Equal(At(7), Pages.Allocate(4));
        Assert.Equal(At(11), Pages.Break);
        Assert.Equal(2UL, Pages.HoleCount);
    }

    [Fact]
    public void A_request_beyond_the_limit_returns_zero_and_changes_nothing()
    {
        AllocateRow(60);
        int commits = Log.CommitCalls;

        Assert.Equal(0UL, Pages.Allocate(5));
        Assert.Equal(0UL, Pages.Allocate(AreaPages + 1));
        Assert.Equal(0UL, Pages.Allocate(0));

        Assert.Equal(commits, Log.CommitCalls);
        Assert.Equal(At(60), Pages.Break);
        Assert.Equal(3UL, Pages.FailedAllocations);
        Assert.Equal(At(64), Pages.Allocate(4) + 4 * PageSize);
    }

    [Fact]
    public void Free_of_the_topmost_allocation_moves_the_break_down()
    {
        ulong[] a = AllocateRow(2, 3);

        Assert.Equal(FreeStatus.Freed, Pages.Free(a[1]));

        Assert.Equal(At(2), Pages.Break);
        Assert.Equal(0UL, Pages.HoleCount);
        Assert.Equal(2, Log.Committed.Count);
    }

    [Fact]
    public void Free_next_to_the_break_also_absorbs_the_hole_below()
    {
        ulong[] a = AllocateRow(2, 3, 4);
        Pages.Free(a[1]);

        Pages.Free(a[2]);

        Assert.Equal(At(2), Pages.Break);
        Assert.Equal(0UL, Pages.HoleCount);
        Assert.Equal(0UL, Pages.BytesFree);
    }

    [Fact]
    public void Free_merges_the_range_with_both_free_neighbours()
    {
        ulong[] a = AllocateRow(1, 2, 3, 4, 1);
        Pages.Free(a[1]);
        Pages.Free(a[3]);

        Pages.Free(a[2]);

        Assert.Equal(1UL, Pages.HoleCount);
        Assert.Equal(9UL * PageSize, Pages.LargestHoleBytes);
        Assert.Equal(a[1], Pages.Allocate(9));
    }

    [Fact]
    public void Freeing_the_start_of_an_allocation_twice_is_reported_also_after_a_merge()
    {
        ulong[] a = AllocateRow(1, 2, 3, 1);
        Pages.Free(a[1]);
        Pages.Free(a[2]);
        ulong holes = Pages.HoleCount;

        Assert.Equal(FreeStatus.DoubleFree, Pages.Free(a[2]));
        Assert.Equal(FreeStatus.DoubleFree, Pages.Free(a[1]));
        Assert.Equal(holes, Pages.HoleCount);
        Assert.Equal(5UL * PageSize, Pages.BytesFree);
    }

    [Fact]
    public void Freeing_inside_an_allocation_is_reported_and_changes_nothing()
    {
        ulong[] a = AllocateRow(3);

        Assert.Equal(FreeStatus.InsideAllocation, Pages.Free(a[0] + PageSize));
        Assert.Equal(FreeStatus.InsideAllocation, Pages.Free(a[0] + 8));
        Assert.Equal(FreeStatus.InsideAllocation, Pages.Free(a[0] + 3 * PageSize - 1));
        Assert.Equal(3UL, Pages.AllocationPages(a[0]));
        Assert.Equal(3, Log.Committed.Count);
    }

    [Fact]
    public void Freeing_outside_the_area_or_above_the_break_is_reported()
    {
        AllocateRow(3);

        Assert.Equal(FreeStatus.OutsideHeap, Pages.Free(AreaStart - PageSize));
        Assert.Equal(FreeStatus.OutsideHeap, Pages.Free(At(AreaPages)));
        Assert.Equal(FreeStatus.NeverAllocated, Pages.Free(At(10)));
        Assert.Equal(FreeStatus.Misaligned, Pages.Free(At(10) + 16));
    }

    [Fact]
    public void A_page_that_no_allocation_ever_started_at_is_never_allocated_wherever_it_is()
    {
        ulong[] a = AllocateRow(3, 2);
        Pages.Free(a[0]);
        ulong holes = Pages.HoleCount;

        // Inside the hole, and above the break once the hole has gone with the last allocation.
        Assert.Equal(FreeStatus.NeverAllocated, Pages.Free(a[0] + PageSize));
        Assert.Equal(FreeStatus.DoubleFree, Pages.Free(a[0]));
        Assert.Equal(holes, Pages.HoleCount);
        Pages.Free(a[1]);
        Assert.Equal(FreeStatus.NeverAllocated, Pages.Free(a[1] + PageSize));
        Assert.Equal(FreeStatus.DoubleFree, Pages.Free(a[1]));
        Assert.Equal(0UL, Pages.PagesInUse);
    }

    [Fact]
    public void A_page_that_started_an_allocation_stays_a_double_free_after_its_pages_were_reused()
    {
        ulong[] a = AllocateRow(1, 1, 1);
        ulong first = a[1];
        Pages.Free(first);
        Pages.Free(a[0]);
        // The merged hole is taken whole by an allocation that starts below the page: the page is inside it.
        ulong wide = Pages.Allocate(2);
        Assert.Equal(a[0], wide);
        Assert.Equal(FreeStatus.InsideAllocation, Pages.Free(first));
        Pages.Free(wide);

        Assert.Equal(FreeStatus.DoubleFree, Pages.Free(first));
        Assert.Equal(FreeStatus.DoubleFree, Pages.Free(wide));
        Assert.True(Pages.Verify());
    }

    [Fact]
    public void A_failed_commit_changes_nothing()
    {
        ulong[] a = AllocateRow(4, 1);
        Pages.Free(a[0]);
        Log.Budget = 1;

        Assert.Equal(0UL, Pages.Allocate(4));
        Assert.Equal(0UL, Pages.Allocate(2));
        Assert.Equal(0UL, Pages.Allocate(10));

        Assert.Equal(1UL, Pages.HoleCount);
        Assert.Equal(4UL * PageSize, Pages.LargestHoleBytes);
        Assert.Equal(At(5), Pages.Break);
        Assert.Single(Log.Committed);
    }

    [Fact]
    public void Growing_in_place_takes_pages_from_the_following_hole()
    {
        ulong[] a = AllocateRow(2, 5, 1);
        Pages.Free(a[1]);

        Assert.True(Pages.TryGrowInPlace(a[0], 4));

        Assert.Equal(4UL, Pages.AllocationPages(a[0]));
        Assert.Equal(3UL * PageSize, Pages.LargestHoleBytes);
        Assert.Equal(a[0] + 4 * PageSize, Pages.Allocate(3));
    }

    [Fact]
    public void Growing_in_place_at_the_break_raises_the_break()
    {
        ulong[] a = AllocateRow(2, 2);

        Assert.True(Pages.TryGrowInPlace(a[1], 6));

        Assert.Equal(At(8), Pages.Break);
        Assert.Equal(8, Log.Committed.Count);
        Assert.Equal(FreeStatus.InsideAllocation, Pages.Free(At(7)));
    }

    [Fact]
    public void Growing_in_place_fails_without_room_and_changes_nothing()
    {
        ulong[] a = AllocateRow(2, 2, 1);
        Pages.Free(a[1]);

        Assert.False(Pages.TryGrowInPlace(a[0], 5));
        Assert.False(Pages.TryGrowInPlace(a[2], AreaPages));

        Assert.Equal(2UL, Pages.AllocationPages(a[0]));
        Assert.Equal(1UL, Pages.HoleCount);
        Assert.Equal(3, Log.Committed.Count);
    }

    [Fact]
    public void Shrinking_in_place_frees_the_tail_and_merges_it()
    {
        ulong[] a = AllocateRow(5, 1);
        ulong[] b = AllocateRow(3);
        Pages.Free(a[1]);

        Pages.ShrinkInPlace(a[0], 2);
        Pages.ShrinkInPlace(b[0], 1);

        Assert.Equal(2UL, Pages.AllocationPages(a[0]));
        Assert.Equal(1UL, Pages.HoleCount);
        Assert.Equal(4UL * PageSize, Pages.LargestHoleBytes);
        Assert.Equal(At(7), Pages.Break);
        Assert.Equal(3, Log.Committed.Count);
    }

    [Fact]
    public void Metadata_is_under_half_a_percent_of_the_area()
    {
        const uint pages = 1 << 18; // 1 GiB

        ulong bytes = PageAllocator<RecordingBacking>.MetadataBytes(pages);

        Assert.True(bytes * 200 < (ulong)pages * PageSize, bytes.ToString());
        Assert.Equal(PageAllocator<RecordingBacking>.MetadataBytes(AreaPages), Pages.MetadataBytesUsed);
    }
}
