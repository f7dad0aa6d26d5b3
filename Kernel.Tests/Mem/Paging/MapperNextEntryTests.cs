using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>
/// <see cref="Mapper{TMem, TTlb}.NextEntry"/>, the walk behind <c>uheap PID</c>: every non-zero 4 KiB entry of
/// a range, in address order, each once, whatever the range's ends, the tables missing on the way or the
/// large pages in it; and a walk over a mostly empty space reads only the tables that exist.
/// </summary>
public sealed unsafe class MapperNextEntryTests : IDisposable
{
    private const ulong Page = MemConstants.PageSize;
    private const ulong Region = MemConstants.LargePageSize;
    private const ulong OneGiB = MemConstants.GiB;

    // The lower half's last page, and the first address past the lower half.
    private const ulong LastLowerPage = 0x0000_7FFF_FFFF_F000;
    private const ulong LowerHalfEnd = 0x0000_8000_0000_0000;

    private readonly PagingFixture _machine = new PagingFixture(frames: 1024);

    public void Dispose() => _machine.Dispose();

    private Mapper<EmulatedRam.Accessor, RecordingTlb> Mapper => _machine.Mapper;

    private List<(ulong Page, ulong Entry)> Walk(ulong start, ulong end)
    {
        var found = new List<(ulong, ulong)>();
        ulong cursor = start;
        while (Mapper.NextEntry(ref cursor, end, out ulong page, out PageTableEntry entry))
        {
            found.Add((page, entry.Value));
            Assert.True(found.Count < 10_000, "the walk does not end");
        }
        return found;
    }

    private ulong RawEntry(ulong page)
    {
        Assert.Equal(PagingStatus.Success, Mapper.Walk(page, out PageWalk walk));
        Assert.Equal(PageTableLevel.PageTable, walk.StoppedAt);
        return walk.PtEntry.Value;
    }

    private void Map(ulong page, int frame) =>
        Assert.Equal(PagingStatus.Success, Mapper.Map(page, Frame(frame), PageFlags.User | PageFlags.Writable, PageSize.Size4KiB));

    private void Reserve(ulong page, PageFlags marks = PageFlags.UserHeapReserved) =>
        Assert.Equal(PagingStatus.Success, Mapper.Reserve(page, marks));

    [Fact]
    public void The_walk_gives_every_mapping_and_reservation_in_address_order_and_nothing_else()
    {
        ulong start = UserBase;
        var expected = new List<ulong>
        {
            start, start + Page, start + 511 * Page, start + 512 * Page, start + 3 * Region + 7 * Page,
            start + OneGiB + 5 * Page, 0x0000_0100_0000_0000 + 9 * Page,
        };
        for (int i = 0; i < expected.Count; i++)
        {
            if (i % 3 == 1)
            {
                Reserve(expected[i], i % 2 == 0 ? PageFlags.Guard : PageFlags.UserHeapReserved);
            }
            else
            {
                Map(expected[i], i);
            }
        }
        // A reservation mapped over keeps its mark: one entry, not two.
        Reserve(start + 20 * Page);
        Assert.Equal(PagingStatus.Success, Mapper.Map(start + 20 * Page, Frame(40), PageFlags.User | PageFlags.Writable, PageSize.Size4KiB));
        expected.Insert(2, start + 20 * Page);

        var found = Walk(0, LowerHalfEnd);

        Assert.Equal(expected, found.ConvertAll(f => f.Page));
        foreach (var (page, entry) in found)
        {
            Assert.Equal(RawEntry(page), entry);
            Assert.NotEqual(0UL, entry);
        }
    }

    [Fact]
    public void A_range_that_ends_inside_a_table_stops_at_its_end_and_the_walk_resumes_from_the_cursor()
    {
        foreach (ulong index in new ulong[] { 0, 5, 6, 10, 511 })
        {
            Reserve(UserBase + index * Page);
        }

        ulong cursor = UserBase + Page;
        var firstHalf = new List<ulong>();
        while (Mapper.NextEntry(ref cursor, UserBase + 6 * Page, out ulong page, out _))
        {
            firstHalf.Add(page);
        }
        var rest = new List<ulong>();
        cursor = UserBase + 6 * Page;
        while (Mapper.NextEntry(ref cursor, UserBase + 511 * Page, out ulong page, out _))
        {
            rest.Add(page);
        }

        Assert.Equal(new[] { UserBase + 5 * Page }, firstHalf);
        Assert.Equal(new[] { UserBase + 6 * Page, UserBase + 10 * Page }, rest);
        Assert.Empty(Walk(UserBase + Page, UserBase + 5 * Page));
        Assert.Empty(Walk(UserBase + 5 * Page, UserBase + 5 * Page));
        Assert.Single(Walk(UserBase + 5 * Page + 0x800, UserBase + 6 * Page));
    }

    [Fact]
    public void Large_pages_in_the_way_are_stepped_over()
    {
        ulong gib = 0x0000_0040_0000_0000;
        Reserve(UserBase - Page);
        Assert.Equal(PagingStatus.Success, Mapper.Map(UserBase, LargeFrame(1), PageFlags.User, PageSize.Size2MiB));
        Reserve(UserBase + Region);
        Reserve(gib - Page);
        Assert.Equal(PagingStatus.Success, Mapper.Map(gib, LargeFrame(512), PageFlags.User, PageSize.Size1GiB));
        Reserve(gib + OneGiB);

        var found = Walk(0, LowerHalfEnd);

        Assert.Equal(new[] { UserBase - Page, UserBase + Region, gib - Page, gib + OneGiB }, found.ConvertAll(f => f.Page));
        Assert.Empty(Walk(UserBase + Page, UserBase + Region));
        Assert.Empty(Walk(gib + Region, gib + OneGiB));
    }

    [Fact]
    public void The_walk_reaches_the_last_page_of_the_lower_half_and_stops_there()
    {
        Reserve(LastLowerPage - Page);
        Map(LastLowerPage, 1);

        var fromBelow = Walk(LastLowerPage - Region, ulong.MaxValue);
        var fromTheLastPage = Walk(LastLowerPage, LowerHalfEnd);

        Assert.Equal(new[] { LastLowerPage - Page, LastLowerPage }, fromBelow.ConvertAll(f => f.Page));
        Assert.Equal(new[] { LastLowerPage }, fromTheLastPage.ConvertAll(f => f.Page));
        Assert.Empty(Walk(LowerHalfEnd, ulong.MaxValue));
    }

    [Fact]
    public void A_walk_from_an_empty_top_of_the_lower_half_ends()
    {
        Reserve(UserBase);

        Assert.Empty(Walk(LastLowerPage - OneGiB, ulong.MaxValue));
        Assert.Empty(Walk(LowerHalfEnd - 512 * OneGiB, LowerHalfEnd));
    }

    [Fact]
    public void The_walk_ends_at_the_top_of_the_address_space_instead_of_wrapping_to_0()
    {
        ulong top = 0xFFFF_FFFF_FFFF_F000;
        Assert.Equal(PagingStatus.Success, Mapper.Map(top, Frame(1), PageFlags.Writable, PageSize.Size4KiB));
        Map(UserBase, 2);

        var found = Walk(top - Page, ulong.MaxValue);

        Assert.Equal(new[] { top }, found.ConvertAll(f => f.Page));
    }

    [Fact]
    public void A_walk_over_the_whole_lower_half_reads_each_existing_table_a_few_times_per_entry_not_each_page()
    {
        Reserve(0x10000);
        Reserve(LastLowerPage);
        Map(0x0000_0040_0000_0000, 3);
        var counter = new ReadCountingMemory.Counter();
        var counting = new Mapper<ReadCountingMemory, RecordingTlb>(
            new ReadCountingMemory(_machine.Ram.Memory, counter), new RecordingTlb(_machine.Tlb), _machine.Frames, _machine.Root);
        int tables = _machine.ReachableTables().Count;

        ulong cursor = 0;
        int found = 0;
        while (counting.NextEntry(ref cursor, LowerHalfEnd, out _, out _))
        {
            found++;
        }

        Assert.Equal(3, found);
        // A skipped entry costs at most one read per level above it, at most four; a page-by-page walk of the
        // 2^35 pages would never end.
        Assert.True(counter.Reads <= 4L * VirtualAddressLayout.EntriesPerTable * tables, $"{counter.Reads} reads for {tables} tables");
    }

    [Fact]
    public void A_walk_of_the_heap_in_an_empty_space_reads_the_root_once()
    {
        Reserve(0x0000_0100_0000_0000);
        var counter = new ReadCountingMemory.Counter();
        var counting = new Mapper<ReadCountingMemory, RecordingTlb>(
            new ReadCountingMemory(_machine.Ram.Memory, counter), new RecordingTlb(_machine.Tlb), _machine.Frames, _machine.Root);

        ulong cursor = 0x8000_0000;
        Assert.False(counting.NextEntry(ref cursor, 0xA000_0000, out _, out _));

        Assert.Equal(1, counter.Reads);
    }
}
