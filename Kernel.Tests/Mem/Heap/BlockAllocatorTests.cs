using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

public sealed unsafe class BlockAllocatorTests : IDisposable
{
    private const uint AreaPages = 16;
    private const ulong PageSize = MemConstants.PageSize;

    private readonly HostRange _area = new HostRange(AreaPages * MemConstants.PageSize);
    private readonly HostRange _metadata = new HostRange(BlockAllocator<RecordingBacking>.MetadataBytes(AreaPages));
    private readonly RecordingBacking.Log _log = new RecordingBacking.Log();
    private readonly BlockAllocator<RecordingBacking> _blocks;

    public BlockAllocatorTests()
    {
        _blocks = new BlockAllocator<RecordingBacking>(
            new RecordingBacking(_log), _area.Start, AreaPages, (byte*)_metadata.Start, _metadata.Size);
    }

    public void Dispose()
    {
        _area.Dispose();
        _metadata.Dispose();
    }

    [Theory]
    [InlineData(1UL, 8UL)]
    [InlineData(8UL, 8UL)]
    [InlineData(9UL, 16UL)]
    [InlineData(100UL, 128UL)]
    [InlineData(1024UL, 1024UL)]
    [InlineData(1025UL, 2048UL)]
    [InlineData(2048UL, 2048UL)]
    public void Allocation_rounds_the_size_up_to_a_power_of_two_class(ulong size, ulong blockSize)
    {
        ulong block = _blocks.Allocate(size);

        Assert.NotEqual(0UL, block);
        Assert.Equal(blockSize, _blocks.UsableSize(block));
        Assert.Equal(0UL, block % blockSize);
        Assert.Equal(blockSize, _blocks.BytesInUse);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(2049UL)]
    [InlineData(PageSize)]
    public void Sizes_outside_the_classes_are_refused(ulong size)
    {
        Assert.Equal(0UL, _blocks.Allocate(size));
        Assert.Equal(0, _log.CommitCalls);
        Assert.Equal(1UL, _blocks.FailedAllocations);
    }

    [Fact]
    public void The_first_allocation_of_a_class_takes_a_fresh_page_at_the_start_of_the_area()
    {
        ulong block = _blocks.Allocate(64);

        Assert.Equal(_area.Start, block);
        Assert.Single(_log.Committed);
        Assert.Equal(1u, _blocks.PagesInUse);
        Assert.Equal(_area.Start + PageSize, _blocks.Break);
        Assert.Equal(PageSize - 64, _blocks.BytesFree);
    }

    [Fact]
    public void Blocks_of_one_class_share_a_page_until_it_is_full()
    {
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(_area.Start + (ulong)i * 256, _blocks.Allocate(256));
        }
        Assert.Equal(1u, _blocks.PagesInUse);

        Assert.Equal(_area.Start + PageSize, _blocks.Allocate(256));
        Assert.Equal(2u, _blocks.PagesInUse);
    }

    [Fact]
    public void Each_class_carves_its_own_page()
    {
        ulong small = _blocks.Allocate(8);
        ulong large = _blocks.Allocate(2048);

        Assert.NotEqual(small & ~MemConstants.PageMask, large & ~MemConstants.PageMask);
        Assert.Equal(2u, _blocks.PagesInUse);
    }

    [Fact]
    public void A_freed_block_is_handed_out_again_first()
    {
        ulong a = _blocks.Allocate(32);
        _blocks.Allocate(32);

        Assert.Equal(FreeStatus.Freed, _blocks.Free(a));
        Assert.Equal(a, _blocks.Allocate(32));
    }

    [Fact]
    public void Freeing_the_last_block_of_a_page_returns_the_page()
    {
        ulong a = _blocks.Allocate(1024);
        ulong b = _blocks.Allocate(1024);

        _blocks.Free(a);
        Assert.Single(_log.Committed);
        _blocks.Free(b);

        Assert.Empty(_log.Committed);
        Assert.Equal(0u, _blocks.PagesInUse);
        Assert.Equal(0UL, _blocks.BytesInUse);
        Assert.Equal(0UL, _blocks.BytesFree);
    }

    [Fact]
    public void A_returned_page_is_reused_before_the_break_grows()
    {
        ulong first = _blocks.Allocate(16);
        ulong second = _blocks.Allocate(2048);
        _blocks.Free(first);

        ulong again = _blocks.Allocate(512);

        Assert.Equal(first, again);
        Assert.Equal(_area.Start + 2 * PageSize, _blocks.Break);
        Assert.Equal(512UL, _blocks.UsableSize(again));
        Assert.Equal(2048UL, _blocks.UsableSize(second));
    }

    [Fact]
    public void Without_a_fresh_page_a_block_is_borrowed_from_the_next_larger_class()
    {
        ulong large = _blocks.Allocate(512);
        _log.Budget = 0;

        ulong small = _blocks.Allocate(8);

        Assert.Equal(large + 512, small);
        Assert.Equal(512UL, _blocks.UsableSize(small));
        Assert.Equal(1UL, _blocks.Borrows);
    }

    [Fact]
    public void Borrowing_skips_empty_classes_and_takes_the_next_non_empty_one()
    {
        _blocks.Allocate(2048);
        _log.Budget = 0;

        ulong small = _blocks.Allocate(8);

        Assert.Equal(2048UL, _blocks.UsableSize(small));
    }

    [Fact]
    public void Without_a_fresh_page_or_a_larger_free_block_allocation_fails_and_changes_nothing()
    {
        ulong large = _blocks.Allocate(64);
        _log.Budget = 0;

        Assert.Equal(0UL, _blocks.Allocate(128));
        Assert.Equal(64UL, _blocks.BytesInUse);
        Assert.Equal(1u, _blocks.PagesInUse);
        Assert.Equal(1UL, _blocks.FailedAllocations);
        Assert.Equal(64UL, _blocks.UsableSize(large));
    }

    [Fact]
    public void A_full_area_fails_once_every_page_is_taken()
    {
        for (uint i = 0; i < AreaPages * 2; i++)
        {
            Assert.NotEqual(0UL, _blocks.Allocate(2048));
        }

        Assert.Equal(0UL, _blocks.Allocate(2048));
        Assert.Equal(_area.End, _blocks.Break);
    }

    [Fact]
    public void Freeing_an_address_outside_the_area_is_reported_and_changes_nothing()
    {
        _blocks.Allocate(8);

        Assert.Equal(FreeStatus.OutsideHeap, _blocks.Free(_area.End));
        Assert.Equal(FreeStatus.OutsideHeap, _blocks.Free(_area.Start - 8));
        Assert.Equal(8UL, _blocks.BytesInUse);
    }

    [Fact]
    public void Freeing_an_address_inside_a_block_is_reported_and_changes_nothing()
    {
        ulong block = _blocks.Allocate(64);

        Assert.Equal(FreeStatus.InsideAllocation, _blocks.Free(block + 8));
        Assert.Equal(FreeStatus.InsideAllocation, _blocks.Free(block + 63));
        Assert.Equal(64UL, _blocks.UsableSize(block));
    }

    [Fact]
    public void Freeing_a_block_twice_is_reported_and_changes_nothing()
    {
        ulong a = _blocks.Allocate(64);
        ulong b = _blocks.Allocate(64);
        _blocks.Free(a);
        ulong freeBefore = _blocks.BytesFree;

        Assert.Equal(FreeStatus.DoubleFree, _blocks.Free(a));
        Assert.Equal(freeBefore, _blocks.BytesFree);
        Assert.Equal(a, _blocks.Allocate(64));
        Assert.NotEqual(a, _blocks.Allocate(64));
        Assert.Equal(64UL, _blocks.UsableSize(b));
    }

    [Fact]
    public void Freeing_a_block_of_a_returned_page_is_reported_as_a_double_free()
    {
        ulong a = _blocks.Allocate(64);
        _blocks.Free(a);

        Assert.Equal(FreeStatus.DoubleFree, _blocks.Free(a));
        Assert.Empty(_log.Committed);
    }

    [Fact]
    public void Freeing_a_block_never_handed_out_is_reported()
    {
        ulong a = _blocks.Allocate(64);

        Assert.Equal(FreeStatus.DoubleFree, _blocks.Free(a + 64));
        Assert.Equal(FreeStatus.DoubleFree, _blocks.Free(_area.Start + 5 * PageSize));
        Assert.Equal(FreeStatus.Misaligned, _blocks.Free(a + 65));
    }

    [Fact]
    public void Scrubbing_on_free_fills_the_block()
    {
        _blocks.ScrubOnFree = true;
        ulong a = _blocks.Allocate(64);
        _blocks.Allocate(64);
        new Span<byte>((void*)a, 64).Fill(0x11);

        _blocks.Free(a);

        // The first two bytes hold the in-page free-list link.
        Assert.True(new Span<byte>((void*)(a + 2), 62).IndexOfAnyExcept(HeapScrub.OnFree) < 0);
    }

    [Fact]
    public void Allocation_and_free_counts_and_bytes_add_up()
    {
        ulong a = _blocks.Allocate(100);
        ulong b = _blocks.Allocate(3);
        _blocks.Free(a);

        Assert.Equal(2UL, _blocks.Allocations);
        Assert.Equal(1UL, _blocks.Frees);
        Assert.Equal(8UL, _blocks.BytesInUse);
        Assert.Equal(_blocks.PagesInUse * PageSize, _blocks.BytesInUse + _blocks.BytesFree);
        Assert.Equal(8UL, _blocks.UsableSize(b));
    }

    [Fact]
    public void Metadata_fits_in_the_bytes_computed_for_the_area()
    {
        Assert.Equal(BlockAllocator<RecordingBacking>.MetadataBytes(AreaPages), _blocks.MetadataBytesUsed);
        Assert.True(BlockAllocator<RecordingBacking>.MetadataBytes(8192) <= 8192 * 80 + 64);
    }
}
