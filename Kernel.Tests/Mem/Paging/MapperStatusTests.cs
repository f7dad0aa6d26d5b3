using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>Every failure has its own status, and a failed operation changes nothing.</summary>
public class MapperStatusTests : IDisposable
{
    private const ulong NonCanonical = 0x0000_8000_0000_0000UL;

    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    private void AssertFailsWithoutChange(PagingStatus expected, Func<PagingStatus> operation)
    {
        string before = _machine.Snapshot();
        int frames = _machine.Frames.Outstanding;
        int invalidations = _machine.Tlb.Pages.Count;

        Assert.Equal(expected, operation());

        Assert.Equal(before, _machine.Snapshot());
        Assert.Equal(frames, _machine.Frames.Outstanding);
        Assert.Equal(invalidations, _machine.Tlb.Pages.Count);
    }

    [Fact]
    public void Non_canonical_addresses_are_refused_by_every_operation()
    {
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.Map(NonCanonical, Frame(1), PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.Unmap(NonCanonical, PageSize.Size4KiB, out _));
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.Protect(NonCanonical, PageSize.Size4KiB, PageFlags.None));
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.Translate(0xFFFF_7FFF_FFFF_F000UL, out _));
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.Walk(NonCanonical, out _));
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.Reserve(NonCanonical, PageFlags.Guard));
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.Unreserve(NonCanonical));
        Assert.False(_machine.Mapper.TryGetReservation(NonCanonical, out _));
    }

    [Fact]
    public void A_range_that_runs_into_the_canonical_hole_is_refused()
    {
        ulong lastLowerPage = VirtualAddressLayout.LowerHalfEnd - MemConstants.PageSize;

        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.MapRange(lastLowerPage, Frame(0), 2, PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.NonCanonicalAddress, () => _machine.Mapper.ReserveRange(lastLowerPage, 2, PageFlags.Guard));
    }

    [Fact]
    public void An_unknown_page_size_is_refused()
    {
        AssertFailsWithoutChange(PagingStatus.InvalidPageSize, () => _machine.Mapper.Map(UserBase, Frame(1), PageFlags.None, (PageSize)0));
        AssertFailsWithoutChange(PagingStatus.InvalidPageSize, () => _machine.Mapper.Unmap(UserBase, (PageSize)4, out _));
    }

    [Fact]
    public void A_misaligned_virtual_address_is_refused()
    {
        AssertFailsWithoutChange(PagingStatus.MisalignedVirtualAddress, () => _machine.Mapper.Map(UserBase + 0x800, Frame(1), PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.MisalignedVirtualAddress, () => _machine.Mapper.Map(UserBase + 0x1000, LargeFrame(1), PageFlags.None, PageSize.Size2MiB));
        AssertFailsWithoutChange(PagingStatus.MisalignedVirtualAddress, () => _machine.Mapper.Unmap(UserBase + 1, PageSize.Size4KiB, out _));
        AssertFailsWithoutChange(PagingStatus.MisalignedVirtualAddress, () => _machine.Mapper.Protect(UserBase + 0x1000, PageSize.Size2MiB, PageFlags.None));
        AssertFailsWithoutChange(PagingStatus.MisalignedVirtualAddress, () => _machine.Mapper.Reserve(UserBase + 8, PageFlags.Guard));
        AssertFailsWithoutChange(PagingStatus.MisalignedVirtualAddress, () => _machine.Mapper.Unreserve(UserBase + 8));
    }

    [Fact]
    public void A_misaligned_physical_address_is_refused()
    {
        AssertFailsWithoutChange(PagingStatus.MisalignedPhysicalAddress, () => _machine.Mapper.Map(UserBase, Frame(1) + 0x10, PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.MisalignedPhysicalAddress, () => _machine.Mapper.Map(UserBase, Frame(1), PageFlags.None, PageSize.Size2MiB));
    }

    [Fact]
    public void A_physical_address_beyond_52_bits_is_refused()
    {
        AssertFailsWithoutChange(PagingStatus.PhysicalAddressOutOfRange, () => _machine.Mapper.Map(UserBase, PageTableEntry.PhysicalAddressLimit, PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.PhysicalAddressOutOfRange,
            () => _machine.Mapper.MapRange(UserBase, PageTableEntry.PhysicalAddressLimit - MemConstants.PageSize, 2, PageFlags.None, PageSize.Size4KiB));
    }

    [Fact]
    public void Flags_an_operation_does_not_accept_are_refused()
    {
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Guard, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Map(UserBase, Frame(1), (PageFlags)(1UL << 40), PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Map(UserBase, Frame(1), (PageFlags)PageTableEntry.PresentBit, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Reserve(UserBase, PageFlags.None));
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Reserve(UserBase, PageFlags.Writable | PageFlags.UserHeapReserved));
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Reserve(UserBase, PageFlags.Pinned));

        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.None, PageSize.Size4KiB);
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.Dirty));
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.Pinned));
    }

    [Fact]
    public void User_pages_are_refused_in_the_kernel_half()
    {
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Map(KernelBase, Frame(1), PageFlags.User, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Reserve(KernelBase, PageFlags.UserHeapReserved));

        _machine.Mapper.Map(KernelBase, Frame(1), PageFlags.None, PageSize.Size4KiB);
        AssertFailsWithoutChange(PagingStatus.InvalidFlags, () => _machine.Mapper.Protect(KernelBase, PageSize.Size4KiB, PageFlags.User));
    }

    [Fact]
    public void Mapping_over_an_existing_mapping_is_refused()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        _machine.Mapper.Map(UserBase + MemConstants.LargePageSize, LargeFrame(1), PageFlags.Writable, PageSize.Size2MiB);

        AssertFailsWithoutChange(PagingStatus.AlreadyMapped, () => _machine.Mapper.Map(UserBase, Frame(2), PageFlags.Writable, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.AlreadyMapped, () => _machine.Mapper.Map(UserBase + MemConstants.LargePageSize, LargeFrame(2), PageFlags.None, PageSize.Size2MiB));
        AssertFailsWithoutChange(PagingStatus.AlreadyMapped, () => _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved));
        AssertFailsWithoutChange(PagingStatus.AlreadyMapped, () => _machine.Mapper.Unreserve(UserBase));
    }

    [Fact]
    public void Unmapping_or_protecting_what_is_not_mapped_is_refused()
    {
        AssertFailsWithoutChange(PagingStatus.NotMapped, () => _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _));
        AssertFailsWithoutChange(PagingStatus.NotMapped, () => _machine.Mapper.Unmap(UserBase, PageSize.Size2MiB, out _));
        AssertFailsWithoutChange(PagingStatus.NotMapped, () => _machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.None));
        AssertFailsWithoutChange(PagingStatus.NotMapped, () => _machine.Mapper.Translate(UserBase, out _));

        // The page table exists, the entry is empty.
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);
        AssertFailsWithoutChange(PagingStatus.NotMapped, () => _machine.Mapper.Unmap(UserBase + 0x1000, PageSize.Size4KiB, out _));

        // A reserved page is not mapped.
        _machine.Mapper.Reserve(UserBase + 0x2000, PageFlags.UserHeapReserved);
        AssertFailsWithoutChange(PagingStatus.NotMapped, () => _machine.Mapper.Unmap(UserBase + 0x2000, PageSize.Size4KiB, out _));
        AssertFailsWithoutChange(PagingStatus.NotMapped, () => _machine.Mapper.Translate(UserBase + 0x2000, out _));
    }

    [Fact]
    public void A_4KiB_operation_inside_a_2MiB_page_is_a_size_conflict()
    {
        _machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.Writable, PageSize.Size2MiB);

        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Map(UserBase + 0x3000, Frame(1), PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Protect(UserBase + 0x1000, PageSize.Size4KiB, PageFlags.None));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Reserve(UserBase + 0x1000, PageFlags.UserHeapReserved));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Unreserve(UserBase + 0x1000));
    }

    [Fact]
    public void A_2MiB_operation_over_a_page_table_is_a_size_conflict()
    {
        _machine.Mapper.Map(UserBase + 0x5000, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.None, PageSize.Size2MiB));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Unmap(UserBase, PageSize.Size2MiB, out _));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Protect(UserBase, PageSize.Size2MiB, PageFlags.None));
    }

    [Fact]
    public void A_2MiB_map_over_a_table_that_holds_only_reservations_is_a_size_conflict()
    {
        _machine.Mapper.Reserve(UserBase + 0x5000, PageFlags.Guard);

        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.None, PageSize.Size2MiB));
    }

    [Fact]
    public void Smaller_operations_inside_a_1GiB_page_are_size_conflicts()
    {
        const ulong Gib = 0x0000_0040_0000_0000UL;
        _machine.Mapper.Map(Gib, 0x0000_0004_0000_0000UL, PageFlags.Writable, PageSize.Size1GiB);

        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Map(Gib + MemConstants.LargePageSize, LargeFrame(1), PageFlags.None, PageSize.Size2MiB));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Map(Gib, Frame(1), PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.PageSizeConflict, () => _machine.Mapper.Unmap(Gib, PageSize.Size2MiB, out _));
    }

    [Fact]
    public void Reserving_twice_or_mapping_a_guard_page_is_refused()
    {
        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);
        _machine.Mapper.Reserve(UserBase + 0x1000, PageFlags.Guard);

        AssertFailsWithoutChange(PagingStatus.AlreadyReserved, () => _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved));
        AssertFailsWithoutChange(PagingStatus.AlreadyReserved, () => _machine.Mapper.Reserve(UserBase + 0x1000, PageFlags.UserHeapReserved));
        AssertFailsWithoutChange(PagingStatus.AlreadyReserved, () => _machine.Mapper.Map(UserBase + 0x1000, Frame(1), PageFlags.Writable, PageSize.Size4KiB));
    }

    [Fact]
    public void Unreserving_what_is_not_reserved_is_refused()
    {
        AssertFailsWithoutChange(PagingStatus.NotReserved, () => _machine.Mapper.Unreserve(UserBase));

        _machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved);
        AssertFailsWithoutChange(PagingStatus.NotReserved, () => _machine.Mapper.Unreserve(UserBase + 0x1000));
    }

    [Fact]
    public void An_empty_or_wrapping_range_is_refused()
    {
        AssertFailsWithoutChange(PagingStatus.InvalidRange, () => _machine.Mapper.MapRange(UserBase, Frame(0), 0, PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.InvalidRange, () => _machine.Mapper.ReserveRange(UserBase, 0, PageFlags.Guard));
        AssertFailsWithoutChange(PagingStatus.InvalidRange, () => _machine.Mapper.MapRange(0xFFFF_FFFF_FFFF_F000UL, Frame(0), 2, PageFlags.None, PageSize.Size4KiB));
        AssertFailsWithoutChange(PagingStatus.InvalidRange, () => _machine.Mapper.ReserveRange(UserBase, ulong.MaxValue, PageFlags.Guard));
    }
}
