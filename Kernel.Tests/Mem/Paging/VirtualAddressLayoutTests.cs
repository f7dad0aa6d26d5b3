using Kernel.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Paging;

public class VirtualAddressLayoutTests
{
    [Theory]
    [InlineData(0x0000_0000_0000_0000UL, true)]
    [InlineData(0x0000_7FFF_FFFF_FFFFUL, true)]
    [InlineData(0x0000_8000_0000_0000UL, false)]
    [InlineData(0x7FFF_FFFF_FFFF_FFFFUL, false)]
    [InlineData(0xFFFF_7FFF_FFFF_FFFFUL, false)]
    [InlineData(0xFFFF_8000_0000_0000UL, true)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL, true)]
    [InlineData(0x8000_0000_0000_0000UL, false)]
    public void An_address_is_canonical_when_bits_63_to_47_agree(ulong address, bool canonical)
    {
        Assert.Equal(canonical, VirtualAddressLayout.IsCanonical(address));
    }

    [Fact]
    public void Nine_bits_per_level_select_the_entries_of_a_walk()
    {
        // PML4 index 0x1A5, PDPT 0x0F3, PD 0x10C, PT 0x1FF, offset 0xABC.
        ulong address = 0xFFFF_0000_0000_0000UL | (0x1A5UL << 39) | (0x0F3UL << 30) | (0x10CUL << 21) | (0x1FFUL << 12) | 0xABC;

        Assert.Equal(0x1A5, VirtualAddressLayout.TableIndex(address, PageTableLevel.Pml4));
        Assert.Equal(0x0F3, VirtualAddressLayout.TableIndex(address, PageTableLevel.Pdpt));
        Assert.Equal(0x10C, VirtualAddressLayout.TableIndex(address, PageTableLevel.PageDirectory));
        Assert.Equal(0x1FF, VirtualAddressLayout.TableIndex(address, PageTableLevel.PageTable));
    }

    [Fact]
    public void The_upper_half_starts_at_PML4_entry_256()
    {
        Assert.Equal(256, VirtualAddressLayout.TableIndex(VirtualAddressLayout.UpperHalfStart, PageTableLevel.Pml4));
        Assert.Equal(VirtualAddressLayout.FirstUpperHalfPml4Index, VirtualAddressLayout.TableIndex(VirtualAddressLayout.UpperHalfStart, PageTableLevel.Pml4));
        Assert.True(VirtualAddressLayout.IsUpperHalf(0xFFFF_8000_0000_0000UL));
        Assert.False(VirtualAddressLayout.IsUpperHalf(0x0000_7FFF_FFFF_F000UL));
    }

    [Fact]
    public void Page_sizes_are_4KiB_2MiB_and_1GiB()
    {
        Assert.Equal(4096UL, VirtualAddressLayout.BytesIn(PageSize.Size4KiB));
        Assert.Equal(2UL * 1024 * 1024, VirtualAddressLayout.BytesIn(PageSize.Size2MiB));
        Assert.Equal(1024UL * 1024 * 1024, VirtualAddressLayout.BytesIn(PageSize.Size1GiB));
    }
}
