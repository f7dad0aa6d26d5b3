using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>What <c>vm ADDR</c> shows: each level's entry and where the walk stopped.</summary>
public class MapperWalkTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    [Fact]
    public void A_walk_in_an_empty_address_space_stops_at_the_PML4()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Walk(UserBase, out PageWalk walk));

        Assert.Equal(PageTableLevel.Pml4, walk.StoppedAt);
        Assert.False(walk.IsMapped);
        Assert.True(walk.Pml4Entry.IsEmpty && walk.PdptEntry.IsEmpty && walk.PdEntry.IsEmpty && walk.PtEntry.IsEmpty);
        Assert.Equal(UserBase, walk.VirtualAddress);
    }

    [Fact]
    public void A_walk_to_a_4KiB_page_reads_all_four_levels()
    {
        _machine.Mapper.Map(UserBase, Frame(3), PageFlags.User | PageFlags.Writable | PageFlags.NoExecute, PageSize.Size4KiB);

        _machine.Mapper.Walk(UserBase + 0x42, out PageWalk walk);

        Assert.Equal(PageTableLevel.PageTable, walk.StoppedAt);
        Assert.True(walk.IsMapped);
        Assert.Equal(PageSize.Size4KiB, walk.Size);
        Assert.Equal(Frame(3), walk.PtEntry.FrameAddress(PageSize.Size4KiB));
        Assert.Equal(PageFlags.User | PageFlags.Writable | PageFlags.NoExecute, walk.PtEntry.LeafFlags(PageSize.Size4KiB));
        Assert.Equal(_machine.ReadEntry(_machine.Root, 0), walk.Pml4Entry.Value);
        Assert.Equal(_machine.ReadEntry(walk.Pml4Entry.Address, 0), walk.PdptEntry.Value);
        Assert.Equal(_machine.ReadEntry(walk.PdptEntry.Address, 2), walk.PdEntry.Value);
        Assert.Equal(_machine.ReadEntry(walk.PdEntry.Address, 0), walk.PtEntry.Value);
        Assert.Equal(walk.PtEntry.Value, walk.LastEntry.Value);
    }

    [Fact]
    public void A_walk_to_a_2MiB_page_stops_at_the_page_directory()
    {
        _machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.Writable, PageSize.Size2MiB);

        _machine.Mapper.Walk(UserBase + 0x12_3456, out PageWalk walk);

        Assert.Equal(PageTableLevel.PageDirectory, walk.StoppedAt);
        Assert.True(walk.IsMapped);
        Assert.Equal(PageSize.Size2MiB, walk.Size);
        Assert.True(walk.PdEntry.IsHuge);
        Assert.True(walk.PtEntry.IsEmpty);
    }

    [Fact]
    public void A_walk_stops_at_the_first_missing_table()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Walk(UserBase + 4 * MemConstants.LargePageSize, out PageWalk walk);

        Assert.Equal(PageTableLevel.PageDirectory, walk.StoppedAt);
        Assert.False(walk.IsMapped);
        Assert.True(walk.PdptEntry.IsPresent);
        Assert.True(walk.PdEntry.IsEmpty);
    }

    [Fact]
    public void A_walk_to_an_empty_entry_of_an_existing_page_table_stops_at_the_PTE()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Walk(UserBase + 0x1000, out PageWalk walk);

        Assert.Equal(PageTableLevel.PageTable, walk.StoppedAt);
        Assert.False(walk.IsMapped);
        Assert.True(walk.LastEntry.IsEmpty);
    }

    [Fact]
    public void A_walk_to_a_reserved_page_shows_the_mark()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);

        _machine.Mapper.Walk(UserBase, out PageWalk walk);

        Assert.Equal(PageTableLevel.PageTable, walk.StoppedAt);
        Assert.False(walk.IsMapped);
        Assert.True(walk.LastEntry.IsReservation);
        Assert.True(walk.LastEntry.IsUserHeapReserved);
    }
}
