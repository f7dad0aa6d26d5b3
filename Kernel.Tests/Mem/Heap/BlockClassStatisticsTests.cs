using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>The block allocator's per-class figures, as <c>meminfo</c> and <c>kheap</c> show them.</summary>
public sealed unsafe class BlockClassStatisticsTests : BlockAllocatorFixture
{
    private BlockClassStatistics ClassOfSize(ulong blockSize) =>
        Blocks.GetClassStatistics(BlockAllocator<RecordingBacking>.ClassOf(blockSize));

    [Fact]
    public void A_fresh_allocator_reports_every_class_empty_with_its_block_size_andBlocks_per_page()
    {
        for (int i = 0; i < BlockAllocator<RecordingBacking>.ClassCount; i++)
        {
            BlockClassStatistics c = Blocks.GetClassStatistics(i);

            Assert.Equal(8UL << i, c.BlockSize);
            Assert.Equal(PageSize / (8UL << i), c.BlocksPerPage);
            Assert.Equal(0UL, c.Pages);
            Assert.Equal(0UL, c.FreeBlocks);
            Assert.Equal(0UL, c.BlocksInUse);
        }
        Assert.Equal(2048UL, Blocks.GetClassStatistics(BlockAllocator<RecordingBacking>.ClassCount - 1).BlockSize);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(BlockAllocator<RecordingBacking>.ClassCount)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void An_index_outside_the_classes_reports_all_zero(int classIndex)
    {
        Blocks.Allocate(64);

        BlockClassStatistics c = Blocks.GetClassStatistics(classIndex);

        Assert.Equal(default(BlockClassStatistics), c);
    }

    [Fact]
    public void Carving_a_page_counts_it_for_its_class_with_the_rest_of_itsBlocks_free()
    {
        Blocks.Allocate(64);
        Blocks.Allocate(50);

        BlockClassStatistics c = ClassOfSize(64);
        Assert.Equal(1UL, c.Pages);
        Assert.Equal(2UL, c.BlocksInUse);
        Assert.Equal(64UL - 2, c.FreeBlocks);
        Assert.Equal(128UL, c.BytesInUse);
        Assert.Equal(PageSize - 128, c.BytesFree);
        Assert.Equal(0UL, ClassOfSize(32).Pages);
    }

    [Fact]
    public void A_full_page_has_no_freeBlocks_and_the_next_block_carves_a_second_page()
    {
        for (int i = 0; i < 2; i++)
        {
            Blocks.Allocate(2048);
        }
        Assert.Equal(0UL, ClassOfSize(2048).FreeBlocks);
        Assert.Equal(1UL, ClassOfSize(2048).Pages);

        Blocks.Allocate(2048);

        BlockClassStatistics c = ClassOfSize(2048);
        Assert.Equal(2UL, c.Pages);
        Assert.Equal(3UL, c.BlocksInUse);
        Assert.Equal(1UL, c.FreeBlocks);
    }

    [Fact]
    public void Freeing_a_block_makes_it_free_in_its_class()
    {
        ulong a = Blocks.Allocate(16);
        Blocks.Allocate(16);

        Blocks.Free(a);

        BlockClassStatistics c = ClassOfSize(16);
        Assert.Equal(1UL, c.Pages);
        Assert.Equal(1UL, c.BlocksInUse);
        Assert.Equal(c.BlocksPerPage - 1, c.FreeBlocks);
    }

    [Fact]
    public void Returning_the_last_block_of_a_page_takes_the_page_and_its_freeBlocks_out_of_the_class()
    {
        ulong a = Blocks.Allocate(256);

        Blocks.Free(a);

        BlockClassStatistics c = ClassOfSize(256);
        Assert.Equal(0UL, c.Pages);
        Assert.Equal(0UL, c.FreeBlocks);
        Assert.Equal(0UL, c.BlocksInUse);
        Assert.Equal(256UL, c.BlockSize);
    }

    [Fact]
    public void A_returned_page_carved_again_counts_for_its_new_class_only()
    {
        ulong a = Blocks.Allocate(256);
        Blocks.Free(a);

        ulong b = Blocks.Allocate(1024);

        Assert.Equal(a, b);
        Assert.Equal(0UL, ClassOfSize(256).Pages);
        Assert.Equal(1UL, ClassOfSize(1024).Pages);
        Assert.Equal(3UL, ClassOfSize(1024).FreeBlocks);
    }

    [Fact]
    public void A_borrowed_block_counts_in_the_larger_class_that_served_it()
    {
        Blocks.Allocate(512);
        Log.Budget = 0;

        ulong small = Blocks.Allocate(8);

        Assert.Equal(1UL, Blocks.Borrows);
        Assert.Equal(0UL, ClassOfSize(8).Pages);
        Assert.Equal(0UL, ClassOfSize(8).BlocksInUse);
        Assert.Equal(2UL, ClassOfSize(512).BlocksInUse);
        Assert.Equal(6UL, ClassOfSize(512).FreeBlocks);

        Blocks.Free(small);

        Assert.Equal(1UL, ClassOfSize(512).BlocksInUse);
        Assert.Equal(7UL, ClassOfSize(512).FreeBlocks);
    }

    [Fact]
    public void A_refused_free_changes_no_class()
    {
        ulong a = Blocks.Allocate(128);
        BlockClassStatistics before = ClassOfSize(128);

        Assert.Equal(FreeStatus.InsideAllocation, Blocks.Free(a + 8));
        Blocks.Free(a + 128);

        Assert.Equal(before, ClassOfSize(128));
    }

    [Fact]
    public void Class_figures_add_up_to_the_allocator_totals()
    {
        var random = new Random(12345);
        var live = new System.Collections.Generic.List<ulong>();
        for (int step = 0; step < 4000; step++)
        {
            if (live.Count > 0 && random.Next(3) == 0)
            {
                int pick = random.Next(live.Count);
                Assert.Equal(FreeStatus.Freed, Blocks.Free(live[pick]));
                live.RemoveAt(pick);
            }
            else
            {
                Log.Budget = random.Next(8) == 0 ? 0UL : ulong.MaxValue / 2;
                ulong block = Blocks.Allocate((ulong)random.Next(1, 2049));
                if (block != 0)
                {
                    live.Add(block);
                }
            }
            AssertClassesAddUp(live.Count);
        }
    }

    private void AssertClassesAddUp(int liveBlocks)
    {
        ulong pages = 0;
        ulong bytesFree = 0;
        ulong bytesInUse = 0;
        ulong blocksInUse = 0;
        for (int i = 0; i < BlockAllocator<RecordingBacking>.ClassCount; i++)
        {
            BlockClassStatistics c = Blocks.GetClassStatistics(i);
            Assert.Equal(c.Pages * c.BlocksPerPage, c.FreeBlocks + c.BlocksInUse);
            pages += c.Pages;
            bytesFree += c.BytesFree;
            bytesInUse += c.BytesInUse;
            blocksInUse += c.BlocksInUse;
        }
        Assert.Equal((ulong)Blocks.PagesInUse, pages);
        Assert.Equal(Blocks.BytesFree, bytesFree);
        Assert.Equal(Blocks.BytesInUse, bytesInUse);
        Assert.Equal((ulong)liveBlocks, blocksInUse);
    }
}
