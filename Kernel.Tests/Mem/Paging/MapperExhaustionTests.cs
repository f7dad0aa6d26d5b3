using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>Running out of frames while creating tables leaves the page tables and the frame count as they were.</summary>
public class MapperExhaustionTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Exhaustion_while_creating_tables_leaves_no_table_and_no_leaked_frame(int framesAvailable)
    {
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;
        _machine.Frames.AllowOnly(framesAvailable);

        Assert.Equal(PagingStatus.OutOfFrames, _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase, out _));
        Assert.Empty(_machine.Tlb.Pages);
    }

    [Fact]
    public void Exhaustion_below_existing_tables_leaves_them_as_they_were()
    {
        // A supervisor page gives PML4E 0 a PDPT and a PD without the user bit.
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;
        _machine.Frames.AllowOnly(0);

        // Another 2 MiB region of the same PD needs a new PT, and would grant the user bit above it.
        Assert.Equal(PagingStatus.OutOfFrames,
            _machine.Mapper.Map(UserBase + MemConstants.LargePageSize, Frame(2), PageFlags.User, PageSize.Size4KiB));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
    }

    [Fact]
    public void The_same_map_succeeds_once_frames_are_available_again()
    {
        _machine.Frames.AllowOnly(2);
        Assert.Equal(PagingStatus.OutOfFrames, _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));

        _machine.Frames.Limit = null;

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));
        Assert.Equal(3, _machine.TableFrames);
    }

    [Fact]
    public void Exhaustion_while_reserving_leaves_nothing_behind()
    {
        string before = _machine.Snapshot();
        _machine.Frames.AllowOnly(1);

        Assert.Equal(PagingStatus.OutOfFrames, _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(0, _machine.TableFrames);
        Assert.False(_machine.Mapper.TryGetReservation(UserBase, out _));
    }

    [Fact]
    public void Exhaustion_in_the_middle_of_a_range_unmaps_every_page_of_the_range()
    {
        // A supervisor page below the range provides the PDPT and the PD (without the user bit); the range
        // needs two new PTs, and the one frame allowed runs out at page 512.
        _machine.Mapper.Map(UserBase - MemConstants.PageSize, Frame(0), PageFlags.Writable, PageSize.Size4KiB);
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;
        _machine.Frames.AllowOnly(1);

        Assert.Equal(PagingStatus.OutOfFrames, _machine.Mapper.MapRange(UserBase, Frame(1), 1024, PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase, out _));
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase + 511 * MemConstants.PageSize, out _));
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(UserBase - MemConstants.PageSize, out _));
    }

    [Fact]
    public void Exhaustion_in_the_middle_of_a_reserved_range_unreserves_every_page_of_it()
    {
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;
        _machine.Frames.AllowOnly(3);

        Assert.Equal(PagingStatus.OutOfFrames, _machine.Mapper.ReserveRange(UserBase, 1024, PageFlags.UserHeapReserved));

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Populating_the_upper_half_is_all_or_nothing()
    {
        string before = _machine.Snapshot();
        int outstanding = _machine.Frames.Outstanding;
        _machine.Frames.AllowOnly(100);

        Assert.Equal(PagingStatus.OutOfFrames, _machine.Mapper.PopulateUpperHalf());

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Creating_a_root_table_without_frames_fails_cleanly()
    {
        _machine.Frames.AllowOnly(0);

        Assert.Equal(PagingStatus.OutOfFrames,
            Mapper<Kernel.Tests.Emulation.EmulatedRam.Accessor, Kernel.Tests.Emulation.RecordingTlb>.CreateRootTable(_machine.Ram.Memory, _machine.Frames, out ulong root));
        Assert.Equal(0UL, root);
    }
}
