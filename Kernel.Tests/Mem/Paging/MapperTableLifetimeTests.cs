using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

public class MapperTableLifetimeTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    [Fact]
    public void The_first_mapping_creates_a_PDPT_a_PD_and_a_PT()
    {
        Assert.Equal(0, _machine.TableFrames);

        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(3, _machine.TableFrames);
        Assert.Equal(4, _machine.ReachableTables().Count);
    }

    [Fact]
    public void Pages_in_the_same_2MiB_share_one_page_table()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Map(UserBase + 0x1F_F000, Frame(2), PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(3, _machine.TableFrames);
    }

    [Fact]
    public void New_tables_are_cleared_although_their_frames_held_junk()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        foreach (ulong table in _machine.ReachableTables())
        {
            int used = 0;
            foreach (ulong entry in _machine.ReadTable(table))
            {
                used += entry != 0 ? 1 : 0;
            }
            Assert.Equal(1, used);
        }
    }

    [Fact]
    public void Unmapping_the_last_page_releases_its_page_table()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _);

        Assert.Equal(0, _machine.TableFrames);
        Assert.All(_machine.ReadTable(_machine.Root), entry => Assert.Equal(0UL, entry));
    }

    [Fact]
    public void A_page_table_with_another_page_in_it_is_kept()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Map(UserBase + 0x1000, Frame(2), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _);

        Assert.Equal(3, _machine.TableFrames);
    }

    [Fact]
    public void Releasing_a_page_table_keeps_a_directory_that_still_maps_a_2MiB_page()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Map(UserBase + MemConstants.LargePageSize, LargeFrame(1), PageFlags.Writable, PageSize.Size2MiB);

        _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _);

        Assert.Equal(2, _machine.TableFrames);
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(UserBase + MemConstants.LargePageSize, out _));
    }

    [Fact]
    public void Mapping_and_unmapping_many_pages_leaks_no_frame()
    {
        int before = _machine.Frames.Outstanding;
        for (ulong i = 0; i < 600; i++)
        {
            // Spread over two page tables and two PML4 entries.
            ulong va = (i % 2 == 0 ? UserBase : 0x0000_0080_0000_0000UL) + i * MemConstants.PageSize;
            Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(va, Frame((int)i), PageFlags.Writable, PageSize.Size4KiB));
        }
        for (ulong i = 0; i < 600; i++)
        {
            ulong va = (i % 2 == 0 ? UserBase : 0x0000_0080_0000_0000UL) + i * MemConstants.PageSize;
            Assert.Equal(PagingStatus.Success, _machine.Mapper.Unmap(va, PageSize.Size4KiB, out ulong physical));
            Assert.Equal(Frame((int)i), physical);
        }

        Assert.Equal(before, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Unmapping_the_last_kernel_half_page_keeps_the_shared_PDPT()
    {
        _machine.Mapper.Map(KernelBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Unmap(KernelBase, PageSize.Size4KiB, out _);

        Assert.Equal(1, _machine.TableFrames);
        Assert.True(new PageTableEntry(_machine.ReadEntry(_machine.Root, 256)).IsPresent);
    }

    [Fact]
    public void The_root_table_is_never_released()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _);

        Assert.True(_machine.Frames.Owns(_machine.Root));
        Assert.Equal(PagingStatus.Success, _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));
    }
}
