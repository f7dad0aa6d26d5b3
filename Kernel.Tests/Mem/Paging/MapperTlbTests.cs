using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Xunit;
using TestMapper = Kernel.Mem.Paging.Mapper<Kernel.Tests.Emulation.EmulatedRam.Accessor, Kernel.Tests.Emulation.RecordingTlb>;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

public class MapperTlbTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    /// <summary>Asserts the operation succeeded: "no invalidation" means something only if the change was made.</summary>
    private static void Ok(PagingStatus status) => Assert.Equal(PagingStatus.Success, status);

    private void AssertMapped(ulong virtualAddress, ulong physicalAddress, PageFlags flags)
    {
        Ok(_machine.Mapper.Translate(virtualAddress, out Translation translation));
        Assert.Equal(physicalAddress, translation.PhysicalAddress);
        Assert.Equal(flags, translation.Flags & flags);
    }

    private void AssertUnmapped(ulong virtualAddress)
        => Assert.NotEqual(PagingStatus.Success, _machine.Mapper.Translate(virtualAddress, out _));

    [Fact]
    public void Mapping_a_non_present_page_needs_no_invalidation()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));
        Ok(_machine.Mapper.Map(UserBase + 0x1000, Frame(2), PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));
        Ok(_machine.Mapper.Map(UserBase + MemConstants.LargePageSize, LargeFrame(2), PageFlags.Writable, PageSize.Size2MiB));

        AssertMapped(UserBase, Frame(1), PageFlags.Writable | PageFlags.User);
        AssertMapped(UserBase + 0x1000, Frame(2), PageFlags.Writable | PageFlags.User);
        AssertMapped(UserBase + MemConstants.LargePageSize + 0x3000, LargeFrame(2) + 0x3000, PageFlags.Writable);
        Assert.Empty(_machine.Tlb.Pages);
        Assert.Equal(0, _machine.Tlb.FullFlushes);
    }

    [Fact]
    public void Unmapping_invalidates_exactly_that_page()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));
        Ok(_machine.Mapper.Map(UserBase + 0x1000, Frame(2), PageFlags.Writable, PageSize.Size4KiB));

        Ok(_machine.Mapper.Unmap(UserBase + 0x1000, PageSize.Size4KiB, out ulong physical));

        Assert.Equal(Frame(2), physical);
        AssertUnmapped(UserBase + 0x1000);
        Assert.Equal(new[] { UserBase + 0x1000 }, _machine.Tlb.Pages);
    }

    [Fact]
    public void Unmapping_a_2MiB_page_invalidates_it_once()
    {
        Ok(_machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.Writable, PageSize.Size2MiB));

        Ok(_machine.Mapper.Unmap(UserBase, PageSize.Size2MiB, out ulong physical));

        Assert.Equal(LargeFrame(1), physical);
        Assert.Equal(new[] { UserBase }, _machine.Tlb.Pages);
    }

    [Fact]
    public void Unmapping_that_releases_tables_still_invalidates_only_once()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));
        int tables = _machine.TableFrames;

        Ok(_machine.Mapper.Unmap(UserBase, PageSize.Size4KiB, out _));

        Assert.True(tables > 0 && _machine.TableFrames == 0, $"tables before {tables}, after {_machine.TableFrames}");
        Assert.Single(_machine.Tlb.Pages);
    }

    [Fact]
    public void Protect_that_changes_the_entry_invalidates_the_page()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));

        Ok(_machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.None));

        Ok(_machine.Mapper.Translate(UserBase, out Translation translation));
        Assert.Equal(PageFlags.None, translation.Flags & PageFlags.Writable);
        Assert.Equal(new[] { UserBase }, _machine.Tlb.Pages);
    }

    [Fact]
    public void Protect_with_the_same_flags_needs_no_invalidation()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable | PageFlags.NoExecute, PageSize.Size4KiB));

        Ok(_machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.Writable | PageFlags.NoExecute));

        AssertMapped(UserBase, Frame(1), PageFlags.Writable | PageFlags.NoExecute);
        Assert.Empty(_machine.Tlb.Pages);
    }

    [Fact]
    public void Granting_the_user_bit_to_an_existing_table_entry_invalidates()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));

        Ok(_machine.Mapper.Map(UserBase + 0x1000, Frame(2), PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));

        AssertMapped(UserBase + 0x1000, Frame(2), PageFlags.Writable | PageFlags.User);
        Assert.Equal(new[] { UserBase + 0x1000 }, _machine.Tlb.Pages);
    }

    [Fact]
    public void Reserving_and_unreserving_within_a_kept_table_needs_no_invalidation()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));

        Ok(_machine.Mapper.Reserve(UserBase + 0x1000, PageFlags.UserHeapReserved));
        Assert.True(_machine.Mapper.TryGetReservation(UserBase + 0x1000, out PageFlags marks) && marks == PageFlags.UserHeapReserved);
        Ok(_machine.Mapper.Unreserve(UserBase + 0x1000));

        Assert.False(_machine.Mapper.TryGetReservation(UserBase + 0x1000, out _));
        AssertMapped(UserBase, Frame(1), PageFlags.Writable | PageFlags.User);
        Assert.Empty(_machine.Tlb.Pages);
    }

    [Fact]
    public void Unreserving_that_releases_tables_invalidates_the_paging_structure_caches()
    {
        Ok(_machine.Mapper.Reserve(UserBase, PageFlags.UserHeapReserved));

        Ok(_machine.Mapper.Unreserve(UserBase));

        Assert.Equal(new[] { UserBase }, _machine.Tlb.Pages);
        Assert.Equal(0, _machine.TableFrames);
    }

    [Fact]
    public void Failed_operations_report_no_invalidation()
    {
        Ok(_machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));

        Assert.Equal(PagingStatus.AlreadyMapped, _machine.Mapper.Map(UserBase, Frame(2), PageFlags.Writable | PageFlags.User, PageSize.Size4KiB));
        Assert.Equal(PagingStatus.NotMapped, _machine.Mapper.Unmap(UserBase + 0x1000, PageSize.Size4KiB, out _));
        Assert.Equal(PagingStatus.PageSizeConflict, _machine.Mapper.Protect(UserBase, PageSize.Size2MiB, PageFlags.None));

        AssertMapped(UserBase, Frame(1), PageFlags.Writable);
        Assert.Empty(_machine.Tlb.Pages);
    }

    [Fact]
    public void Invalidations_are_reported_before_released_tables_go_back_to_the_frame_source()
    {
        OrderCheckingFrameSource frames = new OrderCheckingFrameSource(_machine.Frames, _machine.Tlb);
        TestMapper mapper = new TestMapper(_machine.Ram.Memory, new RecordingTlb(_machine.Tlb), frames, _machine.Root);
        Ok(mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB));

        Ok(mapper.Unmap(UserBase, PageSize.Size4KiB, out _));

        Assert.Equal(3, frames.FreesAfterInvalidation);
    }

    private sealed class OrderCheckingFrameSource : IFrameSource
    {
        private readonly IFrameSource _inner;
        private readonly RecordingTlb.Log _tlb;

        public OrderCheckingFrameSource(IFrameSource inner, RecordingTlb.Log tlb)
        {
            _inner = inner;
            _tlb = tlb;
        }

        public int FreesAfterInvalidation { get; private set; }

        public MemoryLock Lock => _inner.Lock;

        public bool TryAllocateFrame(out ulong physical) => _inner.TryAllocateFrame(out physical);

        public unsafe bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag) => _inner.TryAllocateFrames(frames, count, firstTag);

        public unsafe void FreeFrames(ulong* frames, ulong count)
        {
            Assert.NotEmpty(_tlb.Pages);
            FreesAfterInvalidation++;
            _inner.FreeFrames(frames, count);
        }

        public void FreeFrame(ulong physical)
        {
            Assert.NotEmpty(_tlb.Pages);
            FreesAfterInvalidation++;
            _inner.FreeFrame(physical);
        }

        public bool TrySetFrameTag(ulong physical, ulong tag) => _inner.TrySetFrameTag(physical, tag);

        public bool TryGetFrameTag(ulong physical, out ulong tag) => _inner.TryGetFrameTag(physical, out tag);
    }
}
