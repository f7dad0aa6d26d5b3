using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.Pebble;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Heap;
using Kernel.Tests.Mem.Pebble;
using Kernel.Tests.Mem.Physical;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>
/// A mapper knows which feature-dependent leaf flags its CPU supports and never writes the others: without
/// EFER.NXE bit 63 is reserved, without PAT bit 7 of a PTE and bit 12 of a large-page entry are, and a
/// present entry with a reserved bit set faults on every access (Intel SDM Vol. 3A, 4.5). The flags are
/// dropped, as Linux drops _PAGE_NX from its supported-PTE mask: a page asked to be no-execute is as
/// protected as the CPU allows.
/// </summary>
public class MapperFeatureFlagsTests
{
    private const PageFlags WithoutNoExecute = PageFlags.Global | PageFlags.Pat;
    private const PageFlags WithoutPat = PageFlags.Global | PageFlags.NoExecute;

    private static PageTableEntry Leaf(PagingFixture machine, ulong virtualAddress)
    {
        Assert.Equal(PagingStatus.Success, machine.Mapper.Walk(virtualAddress, out PageWalk walk));
        Assert.True(walk.IsMapped, $"0x{virtualAddress:x16} is not mapped");
        return walk.LastEntry;
    }

    [Theory]
    [InlineData(PageSize.Size4KiB)]
    [InlineData(PageSize.Size2MiB)]
    [InlineData(PageSize.Size1GiB)]
    public void Without_no_execute_a_no_execute_mapping_leaves_bit_63_clear_and_keeps_its_other_flags(PageSize size)
    {
        using var machine = new PagingFixture(supportedFeatures: WithoutNoExecute);
        ulong frame = FrameBase << 2;

        Assert.Equal(PagingStatus.Success, machine.Mapper.Map(KernelBase, frame, PageFlags.Writable | PageFlags.Global | PageFlags.NoExecute, size));

        PageTableEntry leaf = Leaf(machine, KernelBase);
        Assert.Equal(0UL, leaf.Value & PageTableEntry.NoExecuteBit);
        Assert.True(leaf.IsWritable && leaf.IsGlobal);
        Assert.Equal(frame, leaf.FrameAddress(size));
        Assert.Equal(PagingStatus.Success, machine.Mapper.Translate(KernelBase, out Translation translation));
        Assert.Equal(PageFlags.Writable | PageFlags.Global, translation.Flags);
    }

    [Fact]
    public void Without_no_execute_a_mapped_range_leaves_bit_63_clear_on_every_page()
    {
        using var machine = new PagingFixture(supportedFeatures: WithoutNoExecute);

        Assert.Equal(PagingStatus.Success, machine.Mapper.MapRange(UserBase, Frame(0), 3, PageFlags.Writable | PageFlags.NoExecute, PageSize.Size4KiB));

        for (ulong i = 0; i < 3; i++)
        {
            Assert.Equal(0UL, Leaf(machine, UserBase + i * MemConstants.PageSize).Value & PageTableEntry.NoExecuteBit);
        }
    }

    [Fact]
    public void Without_no_execute_protect_leaves_bit_63_clear()
    {
        using var machine = new PagingFixture(supportedFeatures: WithoutNoExecute);
        machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        Assert.Equal(PagingStatus.Success, machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.NoExecute));

        PageTableEntry leaf = Leaf(machine, UserBase);
        Assert.Equal(0UL, leaf.Value & PageTableEntry.NoExecuteBit);
        Assert.False(leaf.IsWritable);
    }

    [Theory]
    [InlineData(PageSize.Size4KiB, PageTableEntry.PteAttributeBit)]
    [InlineData(PageSize.Size2MiB, PageTableEntry.LargeAttributeBit)]
    public void Without_pat_a_mapping_leaves_the_pat_bit_of_its_size_clear(PageSize size, ulong patBit)
    {
        using var machine = new PagingFixture(supportedFeatures: WithoutPat);

        Assert.Equal(PagingStatus.Success, machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.Writable | PageFlags.Pat | PageFlags.NoExecute, size));

        PageTableEntry leaf = Leaf(machine, UserBase);
        Assert.Equal(0UL, leaf.Value & patBit);
        Assert.True(leaf.IsNoExecute);
    }

    [Fact]
    public void With_every_feature_a_no_execute_mapping_carries_bit_63()
    {
        using var machine = new PagingFixture();

        machine.Mapper.Map(UserBase, Frame(2), PageFlags.NoExecute, PageSize.Size4KiB);

        Assert.True(Leaf(machine, UserBase).IsNoExecute);
        Assert.Equal((PageFlags)PageTableEntry.FeatureFlagsMask, machine.Mapper.SupportedFeatures);
    }

    [Fact]
    public void Flags_that_need_no_cpu_feature_cannot_be_declared_unsupported()
    {
        using var machine = new PagingFixture(supportedFeatures: PageFlags.None);

        machine.Mapper.Map(UserBase, Frame(3), PageFlags.Writable | PageFlags.User | PageFlags.Pinned, PageSize.Size4KiB);

        Assert.Equal(PageFlags.None, machine.Mapper.SupportedFeatures);
        Assert.Equal(PagingStatus.Success, machine.Mapper.Translate(UserBase, out Translation translation));
        Assert.Equal(PageFlags.Writable | PageFlags.User | PageFlags.Pinned, translation.Flags);
    }

    [Fact]
    public unsafe void Without_no_execute_the_kernel_heap_maps_its_pages_without_bit_63()
    {
        using var machine = new HeapMachine(supportedFeatures: WithoutNoExecute);

        byte* block = (byte*)machine.Heap.Allocate(64);
        byte* pages = (byte*)machine.Heap.Allocate(3 * MemConstants.PageSize);

        foreach (ulong address in new[] { (ulong)block, (ulong)pages, (ulong)pages + 2 * MemConstants.PageSize })
        {
            Assert.Equal(PagingStatus.Success, machine.Mapper.Translate(address, out Translation translation));
            Assert.Equal(PageFlags.Writable, translation.Flags & ~(PageFlags.Accessed | PageFlags.Dirty));
        }
    }

    [Fact]
    public unsafe void Without_no_execute_a_virtual_pebble_bucket_maps_its_pages_without_bit_63()
    {
        using var machine = new PebbleMachine<HostInterruptLock>(PhysicalMachine.ThreeZones(), default, supportedFeatures: WithoutNoExecute);

        void* pebble = machine.Allocator.Allocate(2 * MemConstants.PageSize, 0, 0, PebbleFlags.Virtual, "no nx", 1);

        Assert.True(pebble != null);
        Assert.Equal(PagingStatus.Success, machine.Mapper.Translate((ulong)pebble, out Translation translation));
        Assert.Equal(PageFlags.Writable, translation.Flags & ~(PageFlags.Accessed | PageFlags.Dirty));
    }
}
