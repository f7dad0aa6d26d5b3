using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Paging;

public class PageTableEntryTests
{
    private const PageFlags EveryLeafFlag = PageFlags.Writable | PageFlags.User | PageFlags.WriteThrough
        | PageFlags.CacheDisable | PageFlags.Accessed | PageFlags.Dirty | PageFlags.Pat | PageFlags.Global
        | PageFlags.NoExecute | PageFlags.UserHeapReserved | PageFlags.Pinned;

    public static TheoryData<PageFlags> FlagSets => new TheoryData<PageFlags>
    {
        PageFlags.None,
        PageFlags.Writable,
        PageFlags.User | PageFlags.NoExecute,
        PageFlags.Pat,
        PageFlags.Pat | PageFlags.CacheDisable | PageFlags.WriteThrough,
        PageFlags.Global | PageFlags.Dirty | PageFlags.Accessed,
        PageFlags.UserHeapReserved | PageFlags.Pinned | PageFlags.User,
        EveryLeafFlag,
    };

    [Theory]
    [MemberData(nameof(FlagSets))]
    public void Flags_round_trip_through_a_4KiB_leaf(PageFlags flags)
    {
        PageTableEntry entry = PageTableEntry.Leaf(0x1234_5000, flags, PageSize.Size4KiB);

        Assert.True(entry.IsPresent);
        Assert.Equal(flags, entry.LeafFlags(PageSize.Size4KiB));
        Assert.Equal(0x1234_5000UL, entry.FrameAddress(PageSize.Size4KiB));
    }

    [Theory]
    [MemberData(nameof(FlagSets))]
    public void Flags_round_trip_through_a_2MiB_leaf(PageFlags flags)
    {
        PageTableEntry entry = PageTableEntry.Leaf(0x1_2340_0000, flags, PageSize.Size2MiB);

        Assert.True(entry.IsPresent);
        Assert.True(entry.IsHuge);
        Assert.Equal(flags, entry.LeafFlags(PageSize.Size2MiB));
        Assert.Equal(0x1_2340_0000UL, entry.FrameAddress(PageSize.Size2MiB));
    }

    [Fact]
    public void Each_flag_sits_in_the_bit_the_manual_gives_it()
    {
        Assert.Equal(1UL << 0, PageTableEntry.PresentBit);
        Assert.Equal(1UL << 1, (ulong)PageFlags.Writable);
        Assert.Equal(1UL << 2, (ulong)PageFlags.User);
        Assert.Equal(1UL << 3, (ulong)PageFlags.WriteThrough);
        Assert.Equal(1UL << 4, (ulong)PageFlags.CacheDisable);
        Assert.Equal(1UL << 5, (ulong)PageFlags.Accessed);
        Assert.Equal(1UL << 6, (ulong)PageFlags.Dirty);
        Assert.Equal(1UL << 7, (ulong)PageFlags.Pat);
        Assert.Equal(1UL << 8, (ulong)PageFlags.Global);
        Assert.Equal(1UL << 63, (ulong)PageFlags.NoExecute);

        PageTableEntry entry = PageTableEntry.Leaf(0, EveryLeafFlag, PageSize.Size4KiB);
        Assert.True(entry.IsWritable && entry.IsUser && entry.IsWriteThrough && entry.IsCacheDisabled);
        Assert.True(entry.IsAccessed && entry.IsDirty && entry.IsGlobal && entry.IsNoExecute);
        Assert.True(entry.HasPat(PageSize.Size4KiB));
    }

    [Fact]
    public void The_PAT_bit_of_a_large_page_moves_to_bit_12_because_bit_7_is_PS()
    {
        PageTableEntry small = PageTableEntry.Leaf(0, PageFlags.Pat, PageSize.Size4KiB);
        PageTableEntry large = PageTableEntry.Leaf(0, PageFlags.Pat, PageSize.Size2MiB);

        Assert.Equal(PageTableEntry.PresentBit | (1UL << 7), small.Value);
        Assert.Equal(PageTableEntry.PresentBit | (1UL << 7) | (1UL << 12), large.Value);
        Assert.True(large.HasPat(PageSize.Size2MiB));
        Assert.False(PageTableEntry.Leaf(0, PageFlags.None, PageSize.Size2MiB).HasPat(PageSize.Size2MiB));
    }

    [Fact]
    public void The_software_bits_lie_in_the_bits_the_CPU_ignores()
    {
        const ulong AvailableLow = 0x7UL << 9;
        const ulong AvailableHigh = 0x7FUL << 52;
        const ulong ReservedWhenNotPresentNothing = AvailableHigh | PageTableEntry.AddressMask;
        // Ignored in an entry that references a table (no protection key there): 62..52.
        const ulong IgnoredInTableEntries = 0x7FFUL << 52;

        Assert.Equal(1UL << 9, PageTableEntry.UserHeapReservedBit);
        Assert.Equal(1UL << 10, PageTableEntry.GuardBit);
        Assert.Equal(1UL << 11, PageTableEntry.PinnedBit);
        Assert.Equal(PageTableEntry.SoftwareMask, PageTableEntry.SoftwareMask & AvailableLow);
        Assert.Equal(PageTableEntry.EntryCountMask, PageTableEntry.EntryCountMask & IgnoredInTableEntries);
        Assert.Equal(0UL, PageTableEntry.SoftwareMask & (PageTableEntry.AddressMask | PageTableEntry.EntryCountMask));
        Assert.Equal(1UL << 52, PageTableEntry.SwappedBit);
        Assert.Equal(PageTableEntry.SwappedBit, PageTableEntry.SwappedBit & AvailableHigh);
        Assert.Equal(0UL, PageTableEntry.SoftwareMask & (PageTableEntry.AddressMask | AvailableHigh));
        // A swapped entry is not present: the CPU ignores all its other bits, slot number included.
        PageTableEntry swapped = PageTableEntry.Swapped(PageTableEntry.MaximumSwapSlot);
        Assert.False(swapped.IsPresent);
        Assert.True(swapped.IsSwapped && swapped.IsReservation && swapped.IsUserHeapReserved);
        Assert.Equal(PageTableEntry.MaximumSwapSlot, swapped.SwapSlot);
        Assert.Equal(0UL, swapped.Value & ~(ReservedWhenNotPresentNothing | PageTableEntry.UserHeapReservedBit));
    }

    [Fact]
    public void A_table_entry_counts_up_to_every_entry_of_its_table()
    {
        PageTableEntry full = PageTableEntry.Table(0x7000, user: true, VirtualAddressLayout.EntriesPerTable);

        Assert.Equal((uint)VirtualAddressLayout.EntriesPerTable, full.EntryCount);
        Assert.Equal(0x7000UL, full.Address);
        Assert.True(full.IsUser && full.IsWritable && full.IsPresent && !full.IsNoExecute);
        Assert.Equal(1U, new PageTableEntry(full.Value + PageTableEntry.EntryCountOne).EntryCount - VirtualAddressLayout.EntriesPerTable);
    }

    [Fact]
    public void A_reservation_is_not_present_and_carries_only_its_marks()
    {
        PageTableEntry entry = PageTableEntry.Reservation(PageFlags.UserHeapReserved);

        Assert.False(entry.IsPresent);
        Assert.True(entry.IsReservation);
        Assert.True(entry.IsUserHeapReserved);
        Assert.False(entry.IsGuard);
        Assert.Equal(PageTableEntry.UserHeapReservedBit, entry.Value);
        Assert.Equal(PageFlags.UserHeapReserved, entry.Marks);
    }

    [Fact]
    public void A_present_page_with_a_mark_is_not_a_reservation()
    {
        PageTableEntry entry = PageTableEntry.Leaf(0x5000, PageFlags.UserHeapReserved | PageFlags.User, PageSize.Size4KiB);

        Assert.True(entry.IsUserHeapReserved);
        Assert.False(entry.IsReservation);
    }

    [Fact]
    public void A_table_entry_is_present_and_writable_and_never_no_execute()
    {
        PageTableEntry kernel = PageTableEntry.Table(0x7000, user: false);
        PageTableEntry user = PageTableEntry.Table(0x7000, user: true);

        Assert.Equal(0x7000UL | PageTableEntry.PresentBit | PageTableEntry.WritableBit, kernel.Value);
        Assert.Equal(kernel.Value | PageTableEntry.UserBit, user.Value);
        Assert.False(user.IsNoExecute);
        Assert.Equal(0x7000UL, user.Address);
    }

    [Fact]
    public void The_address_field_spans_bits_12_to_51()
    {
        PageTableEntry entry = new PageTableEntry(ulong.MaxValue);

        Assert.Equal(0x000F_FFFF_FFFF_F000UL, entry.Address);
        Assert.Equal(0x000F_FFFF_FFE0_0000UL, entry.FrameAddress(PageSize.Size2MiB));
        Assert.Equal(0x000F_FFFF_C000_0000UL, entry.FrameAddress(PageSize.Size1GiB));
        Assert.Equal(0x3FFU, entry.EntryCount);
        Assert.Equal(PageTableEntry.PhysicalAddressLimit - MemConstants.PageSize, entry.Address);
    }
}
