using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

public class MapperMappingTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    [Fact]
    public void A_mapped_4KiB_page_translates_to_its_frame_plus_the_offset()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, Frame(7), PageFlags.Writable, PageSize.Size4KiB));

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(UserBase + 0x123, out Translation translation));
        Assert.Equal(Frame(7) + 0x123, translation.PhysicalAddress);
        Assert.Equal(PageFlags.Writable, translation.Flags);
        Assert.Equal(PageSize.Size4KiB, translation.Size);
    }

    [Fact]
    public void A_mapped_2MiB_page_translates_every_byte_of_its_range()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, LargeFrame(3), PageFlags.User | PageFlags.NoExecute, PageSize.Size2MiB));

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(UserBase + 0x1F_FFFF, out Translation last));
        Assert.Equal(LargeFrame(3) + 0x1F_FFFF, last.PhysicalAddress);
        Assert.Equal(PageSize.Size2MiB, last.Size);
        Assert.Equal(PageFlags.User | PageFlags.NoExecute, last.Flags);
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase + MemConstants.LargePageSize, out _));
    }

    [Fact]
    public void A_2MiB_page_needs_no_page_table()
    {
        _machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.Writable, PageSize.Size2MiB);

        Assert.Equal(2, _machine.TableFrames);
    }

    [Fact]
    public void A_mapped_1GiB_page_translates_and_unmaps()
    {
        const ulong Gib = 0x0000_0040_0000_0000UL;
        const ulong Frame1G = 0x0000_0004_0000_0000UL;

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(Gib, Frame1G, PageFlags.Writable, PageSize.Size1GiB));
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(Gib + 0x3FFF_FFFF, out Translation translation));
        Assert.Equal(Frame1G + 0x3FFF_FFFF, translation.PhysicalAddress);
        Assert.Equal(PageSize.Size1GiB, translation.Size);
        Assert.Equal(1, _machine.TableFrames);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(Gib, PageSize.Size1GiB, out ulong physical));
        Assert.Equal(Frame1G, physical);
        Assert.Equal(0, _machine.TableFrames);
    }

    [Fact]
    public void Unmap_returns_the_frame_and_the_page_no_longer_translates()
    {
        _machine.Mapper.Map(UserBase, Frame(9), PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out ulong physical));
        Assert.Equal(Frame(9), physical);
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase, out _));
    }

    [Fact]
    public void Unmapping_a_2MiB_page_returns_its_frame()
    {
        _machine.Mapper.Map(UserBase, LargeFrame(5), PageFlags.Writable, PageSize.Size2MiB);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(UserBase, PageSize.Size2MiB, out ulong physical));
        Assert.Equal(LargeFrame(5), physical);
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase + 0x1000, out _));
    }

    [Fact]
    public void Neighbouring_pages_map_independently()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Map(UserBase + 0x1000, Frame(2), PageFlags.None, PageSize.Size4KiB);
        _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(UserBase + 0x1000, out Translation translation));
        Assert.Equal(Frame(2), translation.PhysicalAddress);
        Assert.Equal(PageFlags.None, translation.Flags);
    }

    [Fact]
    public void The_frame_may_be_the_highest_a_52_bit_address_allows()
    {
        ulong highest = PageTableEntry.PhysicalAddressLimit - MemConstants.PageSize;

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, highest, PageFlags.None, PageSize.Size4KiB));
        _machine.Mapper.Translate(UserBase + 0xFFF, out Translation translation);
        Assert.Equal(highest + 0xFFF, translation.PhysicalAddress);
    }

    [Fact]
    public void Protect_replaces_the_access_rights_and_keeps_the_frame()
    {
        _machine.Mapper.Map(UserBase, Frame(4), PageFlags.Writable | PageFlags.User, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.User | PageFlags.NoExecute));

        _machine.Mapper.Translate(UserBase, out Translation translation);
        Assert.Equal(Frame(4), translation.PhysicalAddress);
        Assert.Equal(PageFlags.User | PageFlags.NoExecute, translation.Flags);
    }

    [Fact]
    public void Protect_keeps_the_accessed_and_dirty_state_and_the_marks()
    {
        _machine.Mapper.Map(UserBase, Frame(4), PageFlags.Writable | PageFlags.Accessed | PageFlags.Dirty | PageFlags.Pinned, PageSize.Size4KiB);

        _machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.None);

        _machine.Mapper.Translate(UserBase, out Translation translation);
        Assert.Equal(PageFlags.Accessed | PageFlags.Dirty | PageFlags.Pinned, translation.Flags);
    }

    [Fact]
    public void Protect_of_a_2MiB_page_sets_its_PAT_bit_in_bit_12()
    {
        _machine.Mapper.Map(UserBase, LargeFrame(2), PageFlags.Writable, PageSize.Size2MiB);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Protect(UserBase, PageSize.Size2MiB, PageFlags.Pat | PageFlags.CacheDisable));

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.Equal(LargeFrame(2) | PageTableEntry.PresentBit | PageTableEntry.HugeBit | PageTableEntry.LargeAttributeBit | PageTableEntry.CacheDisableBit,
            walk.PdEntry.Value);
        _machine.Mapper.Translate(UserBase, out Translation translation);
        Assert.Equal(PageFlags.Pat | PageFlags.CacheDisable, translation.Flags);
    }

    [Fact]
    public void Protect_of_a_4KiB_page_sets_its_PAT_bit_in_bit_7()
    {
        _machine.Mapper.Map(UserBase, Frame(2), PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.Pat | PageFlags.WriteThrough));

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.Equal(Frame(2) | PageTableEntry.PresentBit | PageTableEntry.PteAttributeBit | PageTableEntry.WriteThroughBit, walk.PtEntry.Value);
    }

    [Fact]
    public void Mapping_over_a_page_that_was_unmapped_succeeds()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _);

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, Frame(2), PageFlags.Writable, PageSize.Size4KiB));
        _machine.Mapper.Translate(UserBase, out Translation translation);
        Assert.Equal(Frame(2), translation.PhysicalAddress);
    }

    [Fact]
    public void Kernel_half_pages_map_and_translate()
    {
        const ulong Va = KernelBase + 0x1234_5000;

        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(Va, Frame(3), PageFlags.Writable | PageFlags.Global | PageFlags.NoExecute, PageSize.Size4KiB));
        _machine.Mapper.Translate(Va, out Translation translation);
        Assert.Equal(Frame(3), translation.PhysicalAddress);
        Assert.Equal(PageFlags.Writable | PageFlags.Global | PageFlags.NoExecute, translation.Flags);
    }
}
