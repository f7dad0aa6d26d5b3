using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;
using TestMapper = Kernel.Mem.Paging.Mapper<Kernel.Tests.Emulation.EmulatedRam.Accessor, Kernel.Tests.Emulation.RecordingTlb>;

namespace Kernel.Tests.Mem.Paging;

/// <summary>Several address spaces: fresh roots that share the kernel half.</summary>
public class MapperAddressSpaceTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture(frames: 512);

    public void Dispose() => _machine.Dispose();

    private TestMapper NewAddressSpace()
    {
        Assert.Equal(PagingStatus.Success, TestMapper.CreateRootTable(_machine.Ram.Memory, _machine.Frames, out ulong root));
        return _machine.MapperFor(root);
    }

    [Fact]
    public void A_fresh_root_table_is_cleared()
    {
        TestMapper process = NewAddressSpace();

        Assert.All(_machine.ReadTable(process.RootTable), entry => Assert.Equal(0UL, entry));
    }

    [Fact]
    public void Populating_the_upper_half_gives_each_kernel_PML4_entry_a_supervisor_PDPT()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.PopulateUpperHalf());

        Assert.Equal(256, _machine.TableFrames);
        ulong[] root = _machine.ReadTable(_machine.Root);
        for (int i = 0; i < 256; i++)
        {
            Assert.Equal(0UL, root[i]);
        }
        for (int i = 256; i < 512; i++)
        {
            PageTableEntry entry = new PageTableEntry(root[i]);
            Assert.True(entry.IsPresent && entry.IsWritable && !entry.IsUser);
        }
    }

    [Fact]
    public void Populating_twice_allocates_nothing_more()
    {
        _machine.Mapper.PopulateUpperHalf();
        int tables = _machine.TableFrames;

        Assert.Equal(PagingStatus.Success, _machine.Mapper.PopulateUpperHalf());

        Assert.Equal(tables, _machine.TableFrames);
    }

    [Fact]
    public void A_copied_upper_half_shares_the_kernel_mappings()
    {
        _machine.Mapper.PopulateUpperHalf();
        _machine.Mapper.Map(KernelBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        TestMapper process = NewAddressSpace();

        Assert.Equal(PagingStatus.Success, process.CopyUpperHalfFrom(_machine.Root));

        Assert.Equal(PagingStatus.Success, process.Translate(KernelBase, out Translation translation));
        Assert.Equal(Frame(1), translation.PhysicalAddress);
        Assert.Equal(PagingStatus.NotMapped, process.Translate(UserBase, out _));
    }

    [Fact]
    public void Kernel_mappings_made_after_the_copy_appear_in_every_address_space()
    {
        _machine.Mapper.PopulateUpperHalf();
        TestMapper process = NewAddressSpace();
        process.CopyUpperHalfFrom(_machine.Root);

        _machine.Mapper.Map(0xFFFF_C000_0000_0000UL, Frame(2), PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.Success, process.Translate(0xFFFF_C000_0000_0000UL, out Translation translation));
        Assert.Equal(Frame(2), translation.PhysicalAddress);
    }

    [Fact]
    public void User_mappings_stay_private_to_their_address_space()
    {
        TestMapper process = NewAddressSpace();

        process.Map(UserBase, Frame(3), PageFlags.User, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Translate(UserBase, out _));
    }

    [Fact]
    public void Unmapping_a_kernel_page_from_one_address_space_keeps_the_shared_PDPT()
    {
        _machine.Mapper.PopulateUpperHalf();
        TestMapper process = NewAddressSpace();
        process.CopyUpperHalfFrom(_machine.Root);
        process.Map(KernelBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        int before = _machine.Frames.Outstanding;

        process.Unmap(KernelBase, PageSize.Size4KiB, out _);

        Assert.Equal(before - 2, _machine.Frames.Outstanding);
        Assert.Equal(_machine.ReadEntry(_machine.Root, 256), _machine.ReadEntry(process.RootTable, 256));
        Assert.True(_machine.Frames.Owns(_machine.ReadEntry(_machine.Root, 256) & PageTableEntry.AddressMask));
    }

    [Fact]
    public void Copying_over_a_different_kernel_half_is_refused()
    {
        TestMapper process = NewAddressSpace();
        process.Map(KernelBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.PopulateUpperHalf();
        string before = string.Join(",", _machine.ReadTable(process.RootTable));

        Assert.Equal(PagingStatus.AlreadyMapped, process.CopyUpperHalfFrom(_machine.Root));

        Assert.Equal(before, string.Join(",", _machine.ReadTable(process.RootTable)));
    }

    [Fact]
    public void Copying_the_same_kernel_half_again_is_harmless()
    {
        _machine.Mapper.PopulateUpperHalf();
        TestMapper process = NewAddressSpace();
        process.CopyUpperHalfFrom(_machine.Root);

        Assert.Equal(PagingStatus.Success, process.CopyUpperHalfFrom(_machine.Root));
        Assert.Empty(_machine.Tlb.Pages);
        Assert.Equal(0, _machine.Tlb.FullFlushes);
    }
}
