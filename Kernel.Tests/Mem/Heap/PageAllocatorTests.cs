using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

public sealed unsafe class PageAllocatorTests : System.IDisposable
{
    // The page allocator never touches its pages, so its area needs no host memory behind it.
    private const ulong AreaStart = 0x0000_7000_0000_0000;
    private const uint AreaPages = 64;
    private const ulong PageSize = MemConstants.PageSize;

    private readonly HostRange _metadata = new HostRange(PageAllocator<RecordingBacking>.MetadataBytes(AreaPages));
    private readonly RecordingBacking.Log _log = new RecordingBacking.Log();
    private readonly PageAllocator<RecordingBacking> _pages;

    public PageAllocatorTests()
    {
        _pages = new PageAllocator<RecordingBacking>(
            new RecordingBacking(_log), AreaStart, AreaPages, (byte*)_metadata.Start, _metadata.Size);
    }

    public void Dispose() => _metadata.Dispose();

    private static ulong At(ulong page) => AreaStart + page * PageSize;

    /// <summary>Allocates runs of the given page counts one after another from the start of the area.</summary>
    private ulong[] AllocateRow(params ulong[] counts)
    {
        var addresses = new ulong[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            addresses[i] = _pages.Allocate(counts[i]);
            Assert.NotEqual(0UL, addresses[i]);
        }
        return addresses;
    }

    [Fact]
    public void Without_holes_allocation_extends_the_break()
    {
        Assert.Equal(At(0), _pages.Allocate(3));
        Assert.Equal(At(3), _pages.Allocate(1));

        Assert.Equal(At(4), _pages.Break);
        Assert.Equal(4, _log.Committed.Count);
        Assert.Equal(4UL * PageSize, _pages.BytesInUse);
    }

    [Fact]
    public void An_exact_fit_hole_is_taken_before_a_larger_one()
    {
        ulong[] a = AllocateRow(5, 1, 2, 1);
        _pages.Free(a[0]);
        _pages.Free(a[2]);

        Assert.Equal(a[2], _pages.Allocate(2));
        Assert.Equal(1UL, _pages.HoleCount);
    }

    [Fact]
    public void Without_an_exact_fit_the_largest_hole_is_split_from_its_start()
    {
        ulong[] a = AllocateRow(3, 1, 6, 1, 4, 1);
        _pages.Free(a[0]);
        _pages.Free(a[2]);
        _pages.Free(a[4]);

        Assert.Equal(a[2], _pages.Allocate(2));

        Assert.Equal(3UL, _pages.HoleCount);
        Assert.Equal(4UL * PageSize, _pages.LargestHoleBytes);
        // Two 4-page holes now: the rest of the split one and a[4]'s; the lower is taken.
        Assert.Equal(a[2] + 2 * PageSize, _pages.Allocate(4));
        Assert.True(_pages.Verify());
    }

    [Fact]
    public void Exact_fit_takes_the_lowest_addressed_of_several_equal_holes()
    {
        ulong[] a = AllocateRow(2, 1, 2, 1, 2, 1, 2, 1);
        // Freed out of address order, the lowest neither first nor last.
        _pages.Free(a[4]);
        _pages.Free(a[0]);
        _pages.Free(a[6]);
        _pages.Free(a[2]);
        Assert.True(_pages.Verify());

        Assert.Equal(a[0], _pages.Allocate(2));
        Assert.Equal(a[2], _pages.Allocate(2));
        Assert.Equal(a[4], _pages.Allocate(2));
        Assert.Equal(a[6], _pages.Allocate(2));
        Assert.Equal(0UL, _pages.HoleCount);
        Assert.True(_pages.Verify());
    }

    [Fact]
    public void Worst_fit_takes_the_lowest_addressed_of_several_largest_holes()
    {
        ulong[] a = AllocateRow(3, 1, 5, 1, 2, 1, 5, 1, 5, 1);
        _pages.Free(a[6]);
        _pages.Free(a[8]);
        _pages.Free(a[0]);
        _pages.Free(a[4]);
        _pages.Free(a[2]);

        // Three 5-page holes, taken lowest first; each leaves a 4-page rest.
        Assert.Equal(a[2], _pages.Allocate(1));
        Assert.Equal(a[6], _pages.Allocate(1));
        Assert.Equal(a[8], _pages.Allocate(1));
        Assert.Equal(4UL * PageSize, _pages.LargestHoleBytes);
        // Now the largest are the three 4-page rests: again the lowest, the rest of a[2]'s hole.
        Assert.Equal(a[2] + PageSize, _pages.Allocate(1));
        Assert.True(_pages.Verify());
    }

    [Fact]
    public void A_hole_made_by_a_merge_below_an_equal_hole_is_the_exact_fit()
    {
        ulong[] a = AllocateRow(1, 2, 1, 3, 1);
        _pages.Free(a[3]);
        _pages.Free(a[0]);

        _pages.Free(a[1]);

        Assert.Equal(2UL, _pages.HoleCount);
        Assert.Equal(a[0], _pages.Allocate(3));
        Assert.Equal(a[3], _pages.Allocate(3));
        Assert.True(_pages.Verify());
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
        _pages.Free(a[0]);
        _pages.Free(a[2]);

        Assert.Equal(At(7), _pages.Allocate(4));
        Assert.Equal(At(11), _pages.Break);
        Assert.Equal(2UL, _pages.HoleCount);
    }

    [Fact]
    public void A_request_beyond_the_limit_returns_zero_and_changes_nothing()
    {
        AllocateRow(60);
        int commits = _log.CommitCalls;

        Assert.Equal(0UL, _pages.Allocate(5));
        Assert.Equal(0UL, _pages.Allocate(AreaPages + 1));
        Assert.Equal(0UL, _pages.Allocate(0));

        Assert.Equal(commits, _log.CommitCalls);
        Assert.Equal(At(60), _pages.Break);
        Assert.Equal(3UL, _pages.FailedAllocations);
        Assert.Equal(At(64), _pages.Allocate(4) + 4 * PageSize);
    }

    [Fact]
    public void Free_of_the_topmost_allocation_moves_the_break_down()
    {
        ulong[] a = AllocateRow(2, 3);

        Assert.Equal(FreeStatus.Freed, _pages.Free(a[1]));

        Assert.Equal(At(2), _pages.Break);
        Assert.Equal(0UL, _pages.HoleCount);
        Assert.Equal(2, _log.Committed.Count);
    }

    [Fact]
    public void Free_next_to_the_break_also_absorbs_the_hole_below()
    {
        ulong[] a = AllocateRow(2, 3, 4);
        _pages.Free(a[1]);

        _pages.Free(a[2]);

        Assert.Equal(At(2), _pages.Break);
        Assert.Equal(0UL, _pages.HoleCount);
        Assert.Equal(0UL, _pages.BytesFree);
    }

    [Fact]
    public void Free_merges_the_range_with_both_free_neighbours()
    {
        ulong[] a = AllocateRow(1, 2, 3, 4, 1);
        _pages.Free(a[1]);
        _pages.Free(a[3]);

        _pages.Free(a[2]);

        Assert.Equal(1UL, _pages.HoleCount);
        Assert.Equal(9UL * PageSize, _pages.LargestHoleBytes);
        Assert.Equal(a[1], _pages.Allocate(9));
    }

    [Fact]
    public void Freeing_the_start_of_an_allocation_twice_is_reported_also_after_a_merge()
    {
        ulong[] a = AllocateRow(1, 2, 3, 1);
        _pages.Free(a[1]);
        _pages.Free(a[2]);
        ulong holes = _pages.HoleCount;

        Assert.Equal(FreeStatus.DoubleFree, _pages.Free(a[2]));
        Assert.Equal(FreeStatus.DoubleFree, _pages.Free(a[1]));
        Assert.Equal(holes, _pages.HoleCount);
        Assert.Equal(5UL * PageSize, _pages.BytesFree);
    }

    [Fact]
    public void Freeing_inside_an_allocation_is_reported_and_changes_nothing()
    {
        ulong[] a = AllocateRow(3);

        Assert.Equal(FreeStatus.InsideAllocation, _pages.Free(a[0] + PageSize));
        Assert.Equal(FreeStatus.InsideAllocation, _pages.Free(a[0] + 8));
        Assert.Equal(FreeStatus.InsideAllocation, _pages.Free(a[0] + 3 * PageSize - 1));
        Assert.Equal(3UL, _pages.AllocationPages(a[0]));
        Assert.Equal(3, _log.Committed.Count);
    }

    [Fact]
    public void Freeing_outside_the_area_or_above_the_break_is_reported()
    {
        AllocateRow(3);

        Assert.Equal(FreeStatus.OutsideHeap, _pages.Free(AreaStart - PageSize));
        Assert.Equal(FreeStatus.OutsideHeap, _pages.Free(At(AreaPages)));
        Assert.Equal(FreeStatus.DoubleFree, _pages.Free(At(10)));
        Assert.Equal(FreeStatus.Misaligned, _pages.Free(At(10) + 16));
    }

    [Fact]
    public void A_failed_commit_changes_nothing()
    {
        ulong[] a = AllocateRow(4, 1);
        _pages.Free(a[0]);
        _log.Budget = 1;

        Assert.Equal(0UL, _pages.Allocate(4));
        Assert.Equal(0UL, _pages.Allocate(2));
        Assert.Equal(0UL, _pages.Allocate(10));

        Assert.Equal(1UL, _pages.HoleCount);
        Assert.Equal(4UL * PageSize, _pages.LargestHoleBytes);
        Assert.Equal(At(5), _pages.Break);
        Assert.Single(_log.Committed);
    }

    [Fact]
    public void Growing_in_place_takes_pages_from_the_following_hole()
    {
        ulong[] a = AllocateRow(2, 5, 1);
        _pages.Free(a[1]);

        Assert.True(_pages.TryGrowInPlace(a[0], 4));

        Assert.Equal(4UL, _pages.AllocationPages(a[0]));
        Assert.Equal(3UL * PageSize, _pages.LargestHoleBytes);
        Assert.Equal(a[0] + 4 * PageSize, _pages.Allocate(3));
    }

    [Fact]
    public void Growing_in_place_at_the_break_raises_the_break()
    {
        ulong[] a = AllocateRow(2, 2);

        Assert.True(_pages.TryGrowInPlace(a[1], 6));

        Assert.Equal(At(8), _pages.Break);
        Assert.Equal(8, _log.Committed.Count);
        Assert.Equal(FreeStatus.InsideAllocation, _pages.Free(At(7)));
    }

    [Fact]
    public void Growing_in_place_fails_without_room_and_changes_nothing()
    {
        ulong[] a = AllocateRow(2, 2, 1);
        _pages.Free(a[1]);

        Assert.False(_pages.TryGrowInPlace(a[0], 5));
        Assert.False(_pages.TryGrowInPlace(a[2], AreaPages));

        Assert.Equal(2UL, _pages.AllocationPages(a[0]));
        Assert.Equal(1UL, _pages.HoleCount);
        Assert.Equal(3, _log.Committed.Count);
    }

    [Fact]
    public void Shrinking_in_place_frees_the_tail_and_merges_it()
    {
        ulong[] a = AllocateRow(5, 1);
        ulong[] b = AllocateRow(3);
        _pages.Free(a[1]);

        _pages.ShrinkInPlace(a[0], 2);
        _pages.ShrinkInPlace(b[0], 1);

        Assert.Equal(2UL, _pages.AllocationPages(a[0]));
        Assert.Equal(1UL, _pages.HoleCount);
        Assert.Equal(4UL * PageSize, _pages.LargestHoleBytes);
        Assert.Equal(At(7), _pages.Break);
        Assert.Equal(3, _log.Committed.Count);
    }

    [Fact]
    public void Metadata_is_under_half_a_percent_of_the_area()
    {
        const uint pages = 1 << 18; // 1 GiB

        ulong bytes = PageAllocator<RecordingBacking>.MetadataBytes(pages);

        Assert.True(bytes * 200 < (ulong)pages * PageSize, bytes.ToString());
        Assert.Equal(PageAllocator<RecordingBacking>.MetadataBytes(AreaPages), _pages.MetadataBytesUsed);
    }
}
