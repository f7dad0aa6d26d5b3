using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.User;
using UserRuntime;

/// <summary>
/// The block allocator in ring 3: every size class from 8 B to 2 KiB gives blocks of its size, aligned to it;
/// a class with no page yet starts a fresh page of the block area, whose blocks follow one another; contents
/// survive churn; a double free, a free inside a block and a free of a foreign pointer are reported and change
/// nothing.
/// </summary>
internal static unsafe class Program
{
    private const int Churn = 600;

    internal static int Main(string[] args)
    {
        TestLog.Begin("tst_blocks");

        bool classes = true;
        for (ulong size = 8; size <= 2048; size *= 2)
        {
            byte* block = (byte*)Heap.Malloc(size / 2 + 1);
            ulong usable = Heap.UsableSize(block);
            classes &= usable == size && ((ulong)block & (size - 1)) == 0 && (ulong)block >= UserLayout.HeapBase
                && (ulong)block < UserLayout.HeapBase + UserLayout.BlockAreaSize;
            Heap.Free(block);
        }
        TestLog.Check(classes, "each_class_from_8_to_2048_gives_aligned_blocks_of_its_size_in_the_block_area");

        // The 2 KiB class is the runtime's least likely: its first block starts the next fresh page.
        HeapStatistics statistics = Heap.Statistics;
        BlockClassStatistics largest = Heap.ClassStatistics(8);
        byte* first = (byte*)Heap.Malloc(2048);
        byte* second = (byte*)Heap.Malloc(2000);
        byte* third = (byte*)Heap.Malloc(1500);
        if (largest.Pages == 0)
        {
            TestLog.Equal(UserLayout.HeapBase + statistics.BlockPages * MemConstants.PageSize, (ulong)first, "a_new_class_starts_a_fresh_page_after_the_pages_in_use");
        }
        TestLog.Equal((ulong)first + 2048, (ulong)second, "its_next_block_follows");
        TestLog.Equal(MemConstants.PageSize, (ulong)third - (ulong)first, "a_full_page_makes_the_class_take_the_next_page");
        TestLog.Equal(largest.Pages + 2, Heap.ClassStatistics(8).Pages, "the_class_counts_its_two_pages");

        HeapStatistics beforeBad = Heap.Statistics;
        Heap.Free(second);
        HeapStatistics afterFree = Heap.Statistics;
        FreeStatus twice = Heap.Free(second);
        FreeStatus inside = Heap.Free(first + 16);
        long onStack = 0;
        FreeStatus foreign = Heap.Free(&onStack);
        HeapStatistics afterBad = Heap.Statistics;
        TestLog.Check(twice == FreeStatus.DoubleFree, "a_double_free_is_reported");
        TestLog.Check(inside == FreeStatus.InsideAllocation, "a_free_inside_a_block_is_reported");
        TestLog.Check(foreign == FreeStatus.OutsideHeap, "a_free_of_a_stack_address_is_reported");
        TestLog.Check(afterBad.BlockBytesInUse == afterFree.BlockBytesInUse && afterBad.BlockBytesFree == afterFree.BlockBytesFree
            && afterBad.BlockPages == afterFree.BlockPages && afterBad.BadFrees == afterFree.BadFrees + 3, "and_change_nothing_but_the_bad_free_count");
        TestLog.Check(afterFree.BlockBytesInUse + 2048 == beforeBad.BlockBytesInUse, "the_good_free_returned_its_2048_bytes");
        Heap.Free(first);
        Heap.Free(third);

        TestLog.Check(ChurnKeepsContents(), "contents_survive_churn_of_600_blocks_of_mixed_sizes");
        HeapStatistics end = Heap.Statistics;
        TestLog.Equal(statistics.BlockBytesInUse, end.BlockBytesInUse, "after_the_churn_the_bytes_in_use_are_back");
        return TestLog.End();
    }

    private static bool ChurnKeepsContents()
    {
        byte** blocks = (byte**)Heap.Calloc(Churn, (ulong)sizeof(byte*));
        ulong* sizes = (ulong*)Heap.Calloc(Churn, sizeof(ulong));
        ulong seed = 0x9E3779B97F4A7C15;
        bool ok = blocks != null && sizes != null;
        for (int round = 0; round < 3 && ok; round++)
        {
            for (int i = 0; i < Churn; i++)
            {
                if (blocks[i] != null && (Next(ref seed) & 1) == 0)
                {
                    ok &= Holds(blocks[i], sizes[i], i);
                    Heap.Free(blocks[i]);
                    blocks[i] = null;
                }
                else if (blocks[i] == null)
                {
                    sizes[i] = 1 + Next(ref seed) % 2048;
                    blocks[i] = (byte*)Heap.Malloc(sizes[i]);
                    ok &= blocks[i] != null;
                    for (ulong j = 0; ok && j < sizes[i]; j++)
                    {
                        blocks[i][j] = (byte)(i * 31 + (int)j);
                    }
                }
            }
        }
        for (int i = 0; i < Churn && blocks != null; i++)
        {
            if (blocks[i] != null)
            {
                ok &= Holds(blocks[i], sizes[i], i);
                Heap.Free(blocks[i]);
            }
        }
        Heap.Free(blocks);
        Heap.Free(sizes);
        return ok;
    }

    private static bool Holds(byte* block, ulong size, int index)
    {
        for (ulong j = 0; j < size; j++)
        {
            if (block[j] != (byte)(index * 31 + (int)j))
            {
                return false;
            }
        }
        return true;
    }

    private static ulong Next(ref ulong seed)
    {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    }
}
