using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

public sealed unsafe class BlockAllocatorTests : BlockAllocatorFixture
{
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
        ulong block = Blocks.Allocate(size);

        Assert.NotEqual(0UL, block);
        Assert.Equal(blockSize, Blocks.UsableSize(block));
        Assert.Equal(0UL, block % blockSize);
        Assert.Equal(blockSize, Blocks.BytesInUse);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(2049UL)]
    [InlineData(PageSize)]
    public void Sizes_outside_the_classes_are_refused(ulong size)
    {
        Assert.Equal(0UL, Blocks.Allocate(size));
        Assert.Equal(0, Log.CommitCalls);
        Assert.Equal(1UL, Blocks.FailedAllocations);
    }

    [Fact]
    public void The_first_allocation_of_a_class_takes_a_fresh_page_at_the_start_of_the_area()
    {
        ulong block = Blocks.Allocate(64);

        Assert.Equal(AreaStart, block);
        Assert.Single(Log.Committed);
        Assert.Equal(1u, Blocks.PagesInUse);
        Assert.Equal(AreaStart + PageSize, Blocks.Break);
        Assert.Equal(PageSize - 64, Blocks.BytesFree);
    }

    [Fact]
    public void Blocks_of_one_class_share_a_page_until_it_is_full()
    {
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(AreaStart + (ulong)i * 256, Blocks.Allocate(256));
        }
        Assert.Equal(1u, Blocks.PagesInUse);

        Assert.Equal(AreaStart + PageSize, Blocks.Allocate(256));
        Assert.Equal(2u, Blocks.PagesInUse);
    }

    [Fact]
    public void Each_class_carves_its_own_page()
    {
        ulong small = Blocks.Allocate(8);
        ulong large = Blocks.Allocate(2048);

        Assert.NotEqual(small & ~MemConstants.PageMask, large & ~MemConstants.PageMask);
        Assert.Equal(2u, Blocks.PagesInUse);
    }

    [Fact]
    public void A_freed_block_is_handed_out_again_first()
    {
        ulong a = Blocks.Allocate(32);
        Blocks.Allocate(32);

        Assert.Equal(FreeStatus.Freed, Blocks.Free(a));
        Assert.Equal(a, Blocks.Allocate(32));
    }

    [Fact]
    public void Freeing_the_last_block_of_a_page_returns_the_page()
    {
        ulong a = Blocks.Allocate(1024);
        ulong b = Blocks.Allocate(1024);

        Blocks.Free(a);
        Assert.Single(Log.Committed);
        Blocks.Free(b);

        Assert.Empty(Log.Committed);
        Assert.Equal(0u, Blocks.PagesInUse);
        Assert.Equal(0UL, Blocks.BytesInUse);
        Assert.Equal(0UL, Blocks.BytesFree);
    }

    [Fact]
    public void A_returned_page_is_reused_before_the_break_grows()
    {
        ulong first = Blocks.Allocate(16);
        ulong second = Blocks.Allocate(2048);
        Blocks.Free(first);

        ulong again = Blocks.Allocate(512);

        Assert.Equal(first, again);
        Assert.Equal(AreaStart + 2 * PageSize, Blocks.Break);
        Assert.Equal(512UL, Blocks.UsableSize(again));
        Assert.Equal(2048UL, Blocks.UsableSize(second));
    }

    [Fact]
    public void Without_a_fresh_page_a_block_is_borrowed_from_the_next_larger_class()
    {
        ulong large = Blocks.Allocate(512);
        Log.Budget = 0;

        ulong small = Blocks.Allocate(8);

        Assert.Equal(large + 512, small);
        Assert.Equal(512UL, Blocks.UsableSize(small));
        Assert.Equal(1UL, Blocks.Borrows);
    }

    [Fact]
    public void Borrowing_skips_empty_classes_and_takes_the_next_non_empty_one()
    {
        Blocks.Allocate(2048);
        Log.Budget = 0;

        ulong small = Blocks.Allocate(8);

        Assert.Equal(2048UL, Blocks.UsableSize(small));
    }

    [Fact]
    public void Without_a_fresh_page_or_a_larger_free_block_allocation_fails_and_changes_nothing()
    {
        ulong large = Blocks.Allocate(64);
        Log.Budget = 0;

        Assert.Equal(0UL, Blocks.Allocate(128));
        Assert.Equal(64UL, Blocks.BytesInUse);
        Assert.Equal(1u, Blocks.PagesInUse);
        Assert.Equal(1UL, Blocks.FailedAllocations);
        Assert.Equal(64UL, Blocks.UsableSize(large));
    }

    [Fact]
    public void A_full_area_fails_once_every_page_is_taken()
    {
        for (uint i = 0; i < AreaPages * 2; i++)
        {
            Assert.NotEqual(0UL, Blocks.Allocate(2048));
        }

        Assert.Equal(0UL, Blocks.Allocate(2048));
        Assert.Equal(AreaEnd, Blocks.Break);
    }

    [Fact]
    public void Freeing_an_address_outside_the_area_is_reported_and_changes_nothing()
    {
        Blocks.Allocate(8);

        Assert.Equal(FreeStatus.OutsideHeap, Blocks.Free(AreaEnd));
        Assert.Equal(FreeStatus.OutsideHeap, Blocks.Free(AreaStart - 8));
        Assert.Equal(8UL, Blocks.BytesInUse);
    }

    [Fact]
    public void Freeing_an_address_inside_a_block_is_reported_and_changes_nothing()
    {
        ulong block = Blocks.Allocate(64);

        Assert.Equal(FreeStatus.InsideAllocation, Blocks.Free(block + 8));
        Assert.Equal(FreeStatus.InsideAllocation, Blocks.Free(block + 63));
        Assert.Equal(64UL, Blocks.UsableSize(block));
    }

    [Fact]
    public void Freeing_a_block_twice_is_reported_and_changes_nothing()
    {
        ulong a = Blocks.Allocate(64);
        ulong b = Blocks.Allocate(64);
        Blocks.Free(a);
        ulong freeBefore = Blocks.BytesFree;

        Assert.Equal(FreeStatus.DoubleFree, Blocks.Free(a));
        Assert.Equal(freeBefore, Blocks.BytesFree);
        Assert.Equal(a, Blocks.Allocate(64));
        Assert.NotEqual(a, Blocks.Allocate(64));
        Assert.Equal(64UL, Blocks.UsableSize(b));
    }

    [Fact]
    public void Freeing_a_block_of_a_returned_page_is_reported_as_a_double_free()
    {
        ulong a = Blocks.Allocate(64);
        Blocks.Free(a);

        Assert.Equal(FreeStatus.DoubleFree, Blocks.Free(a));
        Assert.Empty(Log.Committed);
    }

    [Fact]
    public void A_block_in_a_page_never_used_is_reported_as_never_allocated()
    {
        Blocks.Allocate(64);

        Assert.Equal(FreeStatus.NeverAllocated, Blocks.Free(AreaStart + 5 * PageSize));
        Assert.Equal(FreeStatus.NeverAllocated, Blocks.Free(AreaStart + 5 * PageSize + 72));
        Assert.Equal(FreeStatus.NeverAllocated, Blocks.Check(AreaStart + PageSize, out _));
    }

    [Fact]
    public void A_block_past_the_pages_carving_is_not_called_a_double_free()
    {
        ulong a = Blocks.Allocate(64);

        Assert.Equal(FreeStatus.NotAllocated, Blocks.Free(a + 64));
        Assert.Equal(FreeStatus.NotAllocated, Blocks.Free(a + PageSize - 64));
        Assert.Equal(FreeStatus.Misaligned, Blocks.Free(a + 65));
        Assert.Equal(64UL, Blocks.UsableSize(a));
    }

    [Fact]
    public void A_freed_block_is_a_double_free_while_its_page_is_carved_and_after_the_page_went_back()
    {
        ulong a = Blocks.Allocate(128);
        ulong b = Blocks.Allocate(128);
        Blocks.Free(a);

        Assert.Equal(FreeStatus.DoubleFree, Blocks.Free(a));
        Blocks.Free(b);
        Assert.Equal(FreeStatus.DoubleFree, Blocks.Free(a));
        Assert.Equal(FreeStatus.DoubleFree, Blocks.Free(b));
        // Of the page's last carving (128 B blocks, two handed out): past them, or off their boundaries.
        Assert.Equal(FreeStatus.NotAllocated, Blocks.Free(a + 256));
        Assert.Equal(FreeStatus.Misaligned, Blocks.Free(a + 64));
    }

    [Fact]
    public void A_recarved_page_does_not_call_a_block_of_its_earlier_carving_never_allocated()
    {
        ulong a = Blocks.Allocate(64);
        ulong b = Blocks.Allocate(64);
        Blocks.Free(a);
        Blocks.Free(b);
        ulong c = Blocks.Allocate(8);
        Assert.Equal(a, c);

        // b was handed out by the page's first carving; the 8 B carving has handed out only c.
        Assert.Equal(FreeStatus.NotAllocated, Blocks.Free(b));
        Assert.Equal(FreeStatus.NotAllocated, Blocks.Free(c + 8));
        Blocks.Free(c);
        Assert.Equal(FreeStatus.DoubleFree, Blocks.Free(c));
    }

    [Fact]
    public void Scrubbing_on_free_fills_the_block()
    {
        Blocks.ScrubOnFree = true;
        ulong a = Blocks.Allocate(64);
        Blocks.Allocate(64);
        new Span<byte>((void*)a, 64).Fill(0x11);

        Blocks.Free(a);

        // The first two bytes hold the in-page free-list link.
        Assert.True(new Span<byte>((void*)(a + 2), 62).IndexOfAnyExcept(HeapScrub.OnFree) < 0);
    }

    [Fact]
    public void Bytes_in_use_and_free_add_up_to_the_backed_pages()
    {
        // Call counts are the heap front end's (HeapAllocator); the block allocator keeps only what it must.
        ulong a = Blocks.Allocate(100);
        ulong b = Blocks.Allocate(3);
        Blocks.Free(a);

        Assert.Equal(8UL, Blocks.BytesInUse);
        Assert.Equal(Blocks.PagesInUse * PageSize, Blocks.BytesInUse + Blocks.BytesFree);
        Assert.Equal(8UL, Blocks.UsableSize(b));
    }

    [Fact]
    public void Metadata_fits_in_the_bytes_computed_for_the_area()
    {
        Assert.Equal(BlockAllocator<RecordingBacking>.MetadataBytes(AreaPages), Blocks.MetadataBytesUsed);
        Assert.True(BlockAllocator<RecordingBacking>.MetadataBytes(8192) <= 8192 * 80 + 64);
    }

    [Fact]
    public void Verify_holds_through_allocations_and_frees_of_every_class()
    {
        var live = new System.Collections.Generic.List<ulong>();
        var random = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            if (live.Count > 0 && random.Next(2) == 0)
            {
                int victim = random.Next(live.Count);
                Assert.Equal(FreeStatus.Freed, Blocks.Free(live[victim]));
                live.RemoveAt(victim);
            }
            else
            {
                ulong block = Blocks.Allocate((ulong)random.Next(1, 2049));
                if (block != 0)
                {
                    live.Add(block);
                }
            }
        }

        Assert.True(Blocks.Verify());
    }

    [Fact]
    public void Verify_finds_a_free_list_link_written_through_a_dangling_pointer()
    {
        ulong kept = Blocks.Allocate(64);
        ulong freed = Blocks.Allocate(64);
        Assert.Equal(FreeStatus.Freed, Blocks.Free(freed));
        Assert.True(Blocks.Verify());

        // A write after free: the freed block's link now names the live block.
        *(ushort*)freed = (ushort)(kept & MemConstants.PageMask);

        Assert.False(Blocks.Verify());
    }
}
