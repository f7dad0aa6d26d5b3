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
}
