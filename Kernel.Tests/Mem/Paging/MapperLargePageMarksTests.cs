using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>
/// Software marks (user-heap reservation, guard, pinned) belong to 4 KiB pages: reservations live in PTEs and
/// the replacement policy evicts 4 KiB pages. A 2 MiB or 1 GiB page refuses them, and unmapping one leaves its
/// entry all zero, so the tables above it are released.
/// </summary>
public unsafe class MapperLargePageMarksTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    private void AssertRefusedWithoutChange(Func<PagingStatus> operation)
    {
        string before = _machine.Snapshot();
        int frames = _machine.Frames.Outstanding;

        Assert.Equal(PagingStatus.InvalidFlags, operation());

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(frames, _machine.Frames.Outstanding);
    }

    [Theory]
    [InlineData(PageFlags.UserHeapReserved, PageSize.Size2MiB)]
    [InlineData(PageFlags.Pinned, PageSize.Size2MiB)]
    [InlineData(PageFlags.UserHeapReserved, PageSize.Size1GiB)]
    [InlineData(PageFlags.Pinned, PageSize.Size1GiB)]
    public void A_large_page_with_a_software_mark_is_refused(PageFlags mark, PageSize size)
    {
        AssertRefusedWithoutChange(() => _machine.Mapper.Map(0, 0x4000_0000, PageFlags.Writable | mark, size));
        AssertRefusedWithoutChange(() => _machine.Mapper.MapRange(0, 0x4000_0000, 2, PageFlags.Writable | mark, size));
    }

    [Fact]
    public void A_4KiB_page_still_takes_software_marks()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable | PageFlags.Pinned | PageFlags.UserHeapReserved, PageSize.Size4KiB));

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _));
        Assert.True(_machine.Mapper.TryGetReservation(UserBase, out PageFlags marks));
        Assert.Equal(PageFlags.UserHeapReserved, marks);
    }

    [Fact]
    public void Unmapping_a_2MiB_page_whose_entry_carries_software_bits_clears_it_and_releases_its_tables()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.Writable, PageSize.Size2MiB));
        // An entry written by other code (the boot tables, an older mapper) with bits 9..11 set.
        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        ulong directory = walk.PdptEntry.Address;
        int index = VirtualAddressLayout.TableIndex(UserBase, PageTableLevel.PageDirectory);
        ulong* entry = (ulong*)_machine.Ram.Memory.Access(directory) + index;
        *entry |= PageTableEntry.SoftwareMask;

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(UserBase, PageSize.Size2MiB, out ulong physical));

        Assert.Equal(LargeFrame(1), physical);
        Assert.Equal(0, _machine.TableFrames);
        Assert.Equal("", _machine.Snapshot());
    }
}
