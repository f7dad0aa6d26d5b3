using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>Walking the page allocator's holes and allocations in address order with a cursor.</summary>
public sealed unsafe class PageAllocatorEnumerationTests : PageAllocatorFixture
{
    private List<(ulong Address, ulong Bytes)> Holes()
    {
        var holes = new List<(ulong, ulong)>();
        ulong cursor = 0;
        while (Pages.NextHole(ref cursor, out ulong address, out ulong bytes))
        {
            holes.Add((address, bytes));
        }
        return holes;
    }

    private List<(ulong Address, ulong Bytes)> Allocations()
    {
        var allocations = new List<(ulong, ulong)>();
        ulong cursor = 0;
        while (Pages.NextAllocation(ref cursor, out ulong address, out ulong bytes))
        {
            allocations.Add((address, bytes));
        }
        return allocations;
    }

    [Fact]
    public void An_empty_area_has_no_holes_and_no_allocations()
    {
        ulong cursor = 0;

        Assert.False(Pages.NextHole(ref cursor, out ulong address, out ulong bytes));
        Assert.Equal(0UL, address);
        Assert.Equal(0UL, bytes);
        Assert.Empty(Allocations());
    }

    [Fact]
    public void Allocations_without_holes_are_walked_in_address_order_with_their_sizes()
    {
        ulong[] a = AllocateRow(3, 1, 5);

        Assert.Equal(new[] { (a[0], 3 * PageSize), (a[1], PageSize), (a[2], 5 * PageSize) }, Allocations());
        Assert.Empty(Holes());
    }

    [Fact]
    public void Holes_are_walked_in_address_order_with_their_sizes()
    {
        ulong[] a = AllocateRow(2, 1, 4, 1, 3, 1);
        Pages.Free(a[2]);
        Pages.Free(a[0]);
        Pages.Free(a[4]);

        Assert.Equal(new[] { (At(0), 2 * PageSize), (At(3), 4 * PageSize), (At(8), 3 * PageSize) }, Holes());
        Assert.Equal(new[] { (a[1], PageSize), (a[3], PageSize), (a[5], PageSize) }, Allocations());
    }

    [Fact]
    public void Neighbouring_freed_ranges_are_walked_as_one_merged_hole()
    {
        ulong[] a = AllocateRow(1, 2, 3, 1);
        Pages.Free(a[0]);
        Pages.Free(a[2]);
        Pages.Free(a[1]);

        Assert.Equal(new[] { (At(0), 6 * PageSize) }, Holes());
    }

    [Fact]
    public void Freeing_the_topmost_allocation_leaves_no_hole_at_the_break()
    {
        ulong[] a = AllocateRow(1, 2, 3);
        Pages.Free(a[1]);
        Pages.Free(a[2]);

        Assert.Empty(Holes());
        Assert.Equal(new[] { (a[0], PageSize) }, Allocations());
    }

    [Fact]
    public void Splitting_a_hole_walks_the_allocation_then_the_remainder()
    {
        ulong[] a = AllocateRow(6, 1);
        Pages.Free(a[0]);

        ulong b = Pages.Allocate(2);

        Assert.Equal(At(0), b);
        Assert.Equal(new[] { (At(2), 4 * PageSize) }, Holes());
        Assert.Equal(new[] { (At(0), 2 * PageSize), (a[1], PageSize) }, Allocations());
    }

    [Fact]
    public void The_cursor_advances_past_each_result_and_a_finished_walk_stays_finished()
    {
        ulong[] a = AllocateRow(1, 1, 2, 1);
        Pages.Free(a[0]);
        Pages.Free(a[2]);
        ulong cursor = 0;

        Assert.True(Pages.NextHole(ref cursor, out ulong first, out _));
        Assert.True(Pages.NextHole(ref cursor, out ulong second, out _));
        Assert.False(Pages.NextHole(ref cursor, out _, out _));
        Assert.False(Pages.NextHole(ref cursor, out _, out _));

        Assert.Equal(a[0], first);
        Assert.Equal(a[2], second);
    }

    [Fact]
    public void A_cursor_past_the_break_ends_the_walk()
    {
        AllocateRow(1, 1);
        ulong cursor = ulong.MaxValue;

        Assert.False(Pages.NextAllocation(ref cursor, out ulong address, out _));
        Assert.Equal(0UL, address);
    }

    [Fact]
    public void Walks_follow_growing_and_shrinking_in_place()
    {
        ulong[] a = AllocateRow(2, 4, 3);
        Pages.Free(a[1]);
        Assert.True(Pages.TryGrowInPlace(a[0], 3));
        Pages.ShrinkInPlace(a[2], 1);

        Assert.Equal(new[] { (At(3), 3 * PageSize) }, Holes());
        Assert.Equal(new[] { (a[0], 3 * PageSize), (a[2], PageSize) }, Allocations());
    }

    [Fact]
    public void Hole_walk_totals_match_the_allocator_figures()
    {
        ulong[] a = AllocateRow(1, 3, 1, 7, 1, 2, 1);
        Pages.Free(a[1]);
        Pages.Free(a[3]);
        Pages.Free(a[5]);

        List<(ulong Address, ulong Bytes)> holes = Holes();
        ulong total = 0;
        ulong largest = 0;
        foreach ((ulong _, ulong bytes) in holes)
        {
            total += bytes;
            largest = bytes > largest ? bytes : largest;
        }
        Assert.Equal(Pages.HoleCount, (ulong)holes.Count);
        Assert.Equal(Pages.BytesFree, total);
        Assert.Equal(Pages.LargestHoleBytes, largest);
    }
}
