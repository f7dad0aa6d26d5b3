using Kernel.Abi;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.User;
using UserRuntime;

/// <summary>
/// The user heap as a stranger uses it: odd sizes (0, 1, 2048, 2049, 4096, huge), realloc across the line
/// between blocks and pages, calloc that overflows, frees of garbage, the two system calls called by hand
/// with bad arguments, and many processes churning their heaps at once. "tst_edges hold" keeps a heap with
/// reservations and touched pages and sleeps until killed (for uheap and ps); "tst_edges hog N" touches heap
/// pages until only N frames are left to user memory (above the kernel's reserve) and sleeps until killed;
/// "tst_edges copy-oom" takes every frame it can get, then has the kernel write into an untouched heap page
/// (it must be killed for want of memory);
/// "tst_edges churn" is one of the children of the many-process check.
/// </summary>
internal static unsafe class Program
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong PageSize = MemConstants.PageSize;
    private const int Children = 12;
    private const int ChurnRounds = 40;
    private const int ChurnLive = 16;

    internal static int Main(string[] args)
    {
        if (args.Length == 2 && args[1] == "hold")
        {
            return Hold();
        }
        if (args.Length == 2 && args[1] == "churn")
        {
            return Churn();
        }
        if (args.Length == 2 && args[1] == "copy-oom")
        {
            return CopyWithoutFrames();
        }
        if (args.Length == 3 && args[1] == "hog")
        {
            return Hog(ParseDecimal(args[2]));
        }
        TestLog.Begin("tst_edges");
        OddSizes();
        Reallocation();
        ZeroedAllocation();
        Garbage();
        SystemCalls();
        ManyProcesses();
        return TestLog.End();
    }

    private static bool InBlockArea(void* p) => (ulong)p >= UserLayout.HeapBase && (ulong)p < UserLayout.HeapBase + UserLayout.BlockAreaSize;

    private static bool InPageArea(void* p) => (ulong)p >= UserLayout.PageAreaBase && (ulong)p < UserLayout.HeapEnd;

    private static void OddSizes()
    {
        MemoryCounters before = Memory.Counters();
        TestLog.Check(Heap.Malloc(0) == null, "malloc_0_returns_null");
        byte* one = (byte*)Heap.Malloc(1);
        TestLog.Check(InBlockArea(one) && Heap.UsableSize(one) == 8, "malloc_1_is_an_8_byte_block");
        byte* largestBlock = (byte*)Heap.Malloc(2048);
        TestLog.Check(InBlockArea(largestBlock) && Heap.UsableSize(largestBlock) == 2048 && ((ulong)largestBlock & 2047) == 0,
            "malloc_2048_is_the_largest_block_aligned_to_its_size");
        byte* justOver = (byte*)Heap.Malloc(2049);
        TestLog.Check(InPageArea(justOver) && Heap.UsableSize(justOver) == PageSize && ((ulong)justOver & (PageSize - 1)) == 0,
            "malloc_2049_is_one_page_of_the_page_area");
        byte* page = (byte*)Heap.Malloc(PageSize);
        byte* pageAndByte = (byte*)Heap.Malloc(PageSize + 1);
        TestLog.Check(Heap.UsableSize(page) == PageSize && Heap.UsableSize(pageAndByte) == 2 * PageSize
            && (ulong)page == (ulong)justOver + PageSize && (ulong)pageAndByte == (ulong)page + PageSize, "4096_and_4097_take_one_and_two_pages_in_a_row");

        // Every usable byte is the program's, and writing it reaches no neighbour.
        one[7] = 0x11;
        largestBlock[0] = 0x22;
        largestBlock[2047] = 0x23;
        justOver[PageSize - 1] = 0x33;
        page[0] = 0x44;
        pageAndByte[2 * PageSize - 1] = 0x55;
        TestLog.Check(one[7] == 0x11 && largestBlock[0] == 0x22 && largestBlock[2047] == 0x23 && justOver[PageSize - 1] == 0x33
            && page[0] == 0x44 && page[PageSize - 1] == 0 && pageAndByte[2 * PageSize - 1] == 0x55, "the_last_usable_byte_of_each_is_its_own");

        MemoryCounters beforeHuge = Memory.Counters();
        ulong breakBefore = Heap.Break;
        ulong pageArea = UserLayout.HeapEnd - UserLayout.PageAreaBase;
        bool refused = Heap.Malloc(ulong.MaxValue) == null && Heap.Malloc(ulong.MaxValue - PageSize + 2) == null
            && Heap.Malloc(1UL << 63) == null && Heap.Malloc(pageArea + 1) == null && Heap.Malloc(UserLayout.HeapEnd - Heap.Break + 1) == null;
        MemoryCounters afterHuge = Memory.Counters();
        TestLog.Check(refused && afterHuge.HeapReservedPages == beforeHuge.HeapReservedPages && Heap.Break == breakBefore,
            "huge_sizes_return_null_and_reserve_nothing");

        Heap.Free(one);
        Heap.Free(largestBlock);
        Heap.Free(justOver);
        Heap.Free(page);
        Heap.Free(pageAndByte);
        byte* everything = (byte*)Heap.Malloc(pageArea);
        TestLog.Check((ulong)everything == UserLayout.PageAreaBase && Memory.Counters().HeapReservedPages - before.HeapReservedPages == pageArea / PageSize,
            "the_whole_page_area_in_one_malloc_reserves_it_all_without_a_frame");
        everything[pageArea - 1] = 1;
        Heap.Free(everything);
        MemoryCounters after = Memory.Counters();
        TestLog.Check(after.HeapReservedPages == before.HeapReservedPages && after.HeapResidentPages <= before.HeapResidentPages + 1
            && Heap.Break == UserLayout.PageAreaBase, "and_freeing_it_gives_everything_back");
    }

    private static void Reallocation()
    {
        byte* block = (byte*)Heap.Malloc(2048);
        Fill(block, 2048, 7);
        byte* grown = (byte*)Heap.Realloc(block, 2049);
        TestLog.Check(InPageArea(grown) && Holds(grown, 2048, 7) && Heap.Check(block) != FreeStatus.Freed,
            "realloc_from_2048_to_2049_moves_the_block_to_a_page_with_its_bytes");
        byte* same = (byte*)Heap.Realloc(grown, 2048);
        TestLog.Check(same == grown && Holds(same, 2048, 7), "realloc_back_to_2048_keeps_the_page");
        byte* tiny = (byte*)Heap.Realloc(same, 1);
        TestLog.Check(tiny == same && tiny[0] == 7, "realloc_to_1_byte_keeps_it_in_place");
        TestLog.Check(Heap.Realloc(tiny, 0) == null && Heap.Check(tiny) != FreeStatus.Freed, "realloc_to_0_frees");

        byte* small = (byte*)Heap.Realloc(null, 5);
        Fill(small, 5, 9);
        byte* larger = (byte*)Heap.Realloc(small, 9);
        TestLog.Check(InBlockArea(larger) && Heap.UsableSize(larger) == 16 && Holds(larger, 5, 9), "realloc_null_mallocs_and_8_to_16_moves_with_the_bytes");
        Heap.Free(larger);

        // At the break, pages grow in place; the new pages read as zero and cost nothing until touched.
        byte* top = (byte*)Heap.Malloc(3 * PageSize);
        Fill(top, 3 * PageSize, 3);
        MemoryCounters before = Memory.Counters();
        byte* extended = (byte*)Heap.Realloc(top, 10 * PageSize);
        MemoryCounters after = Memory.Counters();
        TestLog.Check(extended == top && after.HeapResidentPages == before.HeapResidentPages && after.HeapReservedPages == before.HeapReservedPages + 7,
            "realloc_at_the_break_grows_in_place_reserving_only");
        TestLog.Check(Holds(extended, 3 * PageSize, 3) && extended[3 * PageSize] == 0 && extended[10 * PageSize - 1] == 0, "keeping_the_bytes_and_reading_zero_above");
        before = Memory.Counters();
        byte* shrunk = (byte*)Heap.Realloc(extended, PageSize);
        after = Memory.Counters();
        TestLog.Check(shrunk == extended && before.HeapResidentPages - after.HeapResidentPages == 4 && before.HeapReservedPages - after.HeapReservedPages == 9,
            "shrinking_by_pages_gives_back_their_reservations_and_frames");
        Heap.Free(shrunk);

        byte* kept = (byte*)Heap.Malloc(3000);
        Fill(kept, 3000, 5);
        TestLog.Check(Heap.Realloc(kept, ulong.MaxValue) == null && Heap.Realloc(kept, UserLayout.HeapEnd - UserLayout.PageAreaBase + 1) == null
            && Heap.Check(kept) == FreeStatus.Freed && Holds(kept, 3000, 5), "realloc_to_a_size_that_cannot_be_had_returns_null_and_keeps_the_original");
        Heap.Free(kept);

        long local = 0;
        HeapStatistics beforeBad = Heap.Statistics;
        TestLog.Check(Heap.Realloc(&local, 100) == null && Heap.Realloc((void*)(UserLayout.PageAreaBase + 8), 100) == null
            && Heap.Statistics.BadFrees == beforeBad.BadFrees + 2, "realloc_of_garbage_returns_null_and_is_counted");
    }

    private static void ZeroedAllocation()
    {
        TestLog.Check(Heap.Calloc(1UL << 33, 1UL << 33) == null && Heap.Calloc(ulong.MaxValue, 2) == null && Heap.Calloc(2, ulong.MaxValue) == null,
            "calloc_whose_product_overflows_returns_null");
        byte* dirty = (byte*)Heap.Malloc(24);
        Fill(dirty, 24, 0xEE);
        Heap.Free(dirty);
        byte* zeroed = (byte*)Heap.Calloc(3, 8);
        TestLog.Check(zeroed == dirty && Holds(zeroed, 24, 0), "calloc_clears_a_reused_block");
        Heap.Free(zeroed);

        MemoryCounters before = Memory.Counters();
        byte* big = (byte*)Heap.Calloc(1024, 1024);
        MemoryCounters after = Memory.Counters();
        TestLog.Check(big != null && big[0] == 0 && big[MiB - 1] == 0, "calloc_of_a_mebibyte_reads_zero");
        TestLog.Equal(0, after.HeapResidentPages - before.HeapResidentPages, "calloc_of_fresh_pages_takes_no_frame_until_they_are_touched");
        Heap.Free(big);

        // new of a large array is served the same way.
        before = Memory.Counters();
        byte[] array = new byte[MiB];
        after = Memory.Counters();
        TestLog.Check(array.Length == (int)MiB && array[12345] == 0, "new_of_a_mebibyte_array_reads_zero");
        TestLog.Equal(1, after.HeapResidentPages - before.HeapResidentPages, "and_takes_a_frame_only_for_the_page_of_its_header");
        Heap.Free(array);
    }

    private static void Garbage()
    {
        byte* live = (byte*)Heap.Malloc(100);
        byte* pages = (byte*)Heap.Malloc(2 * PageSize);
        MemoryCounters before = Memory.Counters();
        HeapStatistics statistics = Heap.Statistics;
        long onStack = 0;
        bool reported = Heap.Free((void*)1) != FreeStatus.Freed
            && Heap.Free((void*)(UserLayout.HeapBase + 1)) != FreeStatus.Freed
            && Heap.Free((void*)(UserLayout.HeapBase + UserLayout.BlockAreaSize - PageSize)) != FreeStatus.Freed
            && Heap.Free((void*)(UserLayout.HeapBase + UserLayout.BlockAreaSize)) != FreeStatus.Freed
            && Heap.Free(pages + 8) != FreeStatus.Freed
            && Heap.Free(pages + PageSize) != FreeStatus.Freed
            && Heap.Free((void*)(UserLayout.HeapEnd - PageSize)) != FreeStatus.Freed
            && Heap.Free((void*)(UserLayout.HeapEnd - 8)) != FreeStatus.Freed
            && Heap.Free((void*)(UserLayout.HeapMetadataBase + 64)) != FreeStatus.Freed
            && Heap.Free((void*)0xFFFF_8000_0000_0000) != FreeStatus.Freed
            && Heap.Free((void*)0x0000_8000_0000_0000) != FreeStatus.Freed
            && Heap.Free(&onStack) != FreeStatus.Freed
            && Heap.Free(live + 1) != FreeStatus.Freed;
        MemoryCounters after = Memory.Counters();
        HeapStatistics afterStatistics = Heap.Statistics;
        TestLog.Check(reported, "frees_of_garbage_are_refused");
        TestLog.Check(after.HeapReservedPages == before.HeapReservedPages && after.HeapResidentPages == before.HeapResidentPages
            && afterStatistics.BlockBytesInUse == statistics.BlockBytesInUse && afterStatistics.PagesInUse == statistics.PagesInUse
            && afterStatistics.BadFrees == statistics.BadFrees + 13, "and_change_nothing_but_the_bad_free_count");
        TestLog.Check(Heap.Free(live) == FreeStatus.Freed && Heap.Free(pages) == FreeStatus.Freed, "the_real_allocations_still_free");
        TestLog.Check(Heap.Free(pages) == FreeStatus.DoubleFree && Heap.Free(live) == FreeStatus.DoubleFree, "freed_again_they_are_double_frees");
        TestLog.Check(Heap.Free((void*)(UserLayout.HeapEnd - PageSize)) == FreeStatus.NeverAllocated
            && Heap.Free((void*)(UserLayout.HeapBase + UserLayout.BlockAreaSize - PageSize)) == FreeStatus.NeverAllocated,
            "a_page_and_a_block_page_nothing_was_handed_out_from_are_never_allocated");
    }

    private static void SystemCalls()
    {
        long allocate = (long)SyscallNumber.AllocateUserMemory;
        long free = (long)SyscallNumber.FreeUserMemory;
        long heap = (long)UserLayout.HeapBase;
        long page = (long)PageSize;
        long runtime = (long)UserLayout.RuntimeRegionBase;
        MemoryCounters before = Memory.Counters();
        bool invalid = Sys.Raw(allocate, heap + 1, page) == -Errno.EINVAL
            && Sys.Raw(allocate, heap, page - 1) == -Errno.EINVAL
            && Sys.Raw(allocate, heap, 0) == -Errno.EINVAL
            && Sys.Raw(allocate, heap - page, page) == -Errno.EINVAL
            && Sys.Raw(allocate, (long)UserLayout.HeapEnd - page, 2 * page) == -Errno.EINVAL
            && Sys.Raw(allocate, heap, -page) == -Errno.EINVAL
            && Sys.Raw(allocate, -page, 2 * page) == -Errno.EINVAL
            && Sys.Raw(allocate, runtime, page) == -Errno.EINVAL
            && Sys.Raw(allocate, (long)UserLayout.StackBottom, page) == -Errno.EINVAL
            && Sys.Raw(allocate, unchecked((long)0xFFFF_8000_0000_0000), page) == -Errno.EINVAL
            && Sys.Raw(free, runtime, (long)UserLayout.RuntimeRegionSize) == -Errno.EINVAL
            && Sys.Raw(free, (long)UserLayout.StackBottom, page) == -Errno.EINVAL
            && Sys.Raw(free, heap, -page) == -Errno.EINVAL;
        TestLog.Check(invalid, "allocate_and_free_user_mem_refuse_bad_ranges_with_einval");

        byte* mine = (byte*)Heap.Malloc(4 * PageSize);
        mine[0] = 1;
        bool exists = Sys.Raw(allocate, (long)mine, page) == -Errno.EEXIST && Sys.Raw(allocate, (long)mine - page, 2 * page) == -Errno.EEXIST
            && Sys.Raw(allocate, (long)mine + 3 * page, 2 * page) == -Errno.EEXIST;
        TestLog.Check(exists && mine[0] == 1, "allocate_user_mem_over_a_reserved_page_is_eexist_and_changes_nothing");
        long far = (long)UserLayout.HeapEnd - 16 * page;
        bool roundTrip = Sys.Raw(free, far, 16 * page) == 0 && Sys.Raw(allocate, far, 16 * page) == 0 && Sys.Raw(free, far, 16 * page) == 0;
        TestLog.Check(roundTrip, "free_of_a_never_reserved_range_succeeds_and_a_range_reserves_and_frees_by_hand");
        Heap.Free(mine);
        MemoryCounters after = Memory.Counters();
        TestLog.Check(after.HeapReservedPages == before.HeapReservedPages && after.PageTableFrames == before.PageTableFrames, "leaving_nothing_reserved");

        // The kernel's own copies back reserved pages too, and fail cleanly on a freed one.
        byte* untouched = (byte*)Heap.Malloc(3 * PageSize);
        MemoryCounters* straddling = (MemoryCounters*)(untouched + PageSize - 8);
        before = Memory.Counters();
        long copied = Sys.GetMemoryCounters(straddling);
        after = Memory.Counters();
        TestLog.Check(copied == 0 && after.HeapResidentPages - before.HeapResidentPages == 2 && straddling->FreeFrames > 0,
            "a_system_call_writing_into_two_untouched_heap_pages_backs_both");
        Heap.Free(untouched);
        TestLog.Check(Sys.GetMemoryCounters(straddling) == -Errno.EFAULT, "and_writing_into_them_once_freed_fails_with_efault");
    }

    private static void ManyProcesses()
    {
        string[] childArguments = { "churn" };
        long* pids = stackalloc long[Children];
        MemoryCounters before = Memory.Counters();
        bool started = true;
        for (int i = 0; i < Children; i++)
        {
            pids[i] = Process.Spawn("tst_edges", childArguments);
            started &= pids[i] > 0;
        }
        bool passed = true;
        for (int i = 0; i < Children; i++)
        {
            passed &= Process.Wait(pids[i], out int status) == pids[i] && WaitStatus.IsExited(status) && WaitStatus.ExitStatus(status) == 0;
        }
        MemoryCounters after = Memory.Counters();
        TestLog.Check(started && passed, "twelve_processes_churning_their_heaps_at_once_all_keep_their_bytes");
        TestLog.Equal(before.FreeFrames, after.FreeFrames, "and_every_frame_they_took_comes_back");
    }

    /// <summary>One child of the many-process check: allocations of many sizes, each filled with a byte of its own, checked after yielding.</summary>
    private static int Churn()
    {
        byte** live = stackalloc byte*[ChurnLive];
        ulong* sizes = stackalloc ulong[ChurnLive];
        byte stamp = (byte)Sys.GetPid();
        ulong seed = (ulong)Sys.GetPid() * 0x9E37_79B9_7F4A_7C15;
        bool ok = true;
        for (int round = 0; round < ChurnRounds; round++)
        {
            for (int i = 0; i < ChurnLive; i++)
            {
                seed = seed * 6364136223846793005 + 1442695040888963407;
                ulong size = 1 + (seed >> 33) % (i % 4 == 0 ? 40 * KiB : 3000);
                if (live[i] != null)
                {
                    ok &= Holds(live[i], sizes[i], (byte)(stamp + i));
                    Heap.Free(live[i]);
                }
                live[i] = (byte*)(round % 3 == 2 ? Heap.Realloc(null, size) : Heap.Malloc(size));
                sizes[i] = size;
                ok &= live[i] != null;
                if (live[i] != null)
                {
                    Fill(live[i], size, (byte)(stamp + i));
                }
            }
            Sys.Yield();
        }
        for (int i = 0; i < ChurnLive; i++)
        {
            ok &= Holds(live[i], sizes[i], (byte)(stamp + i));
            Heap.Free(live[i]);
        }
        return ok ? 0 : 1;
    }

    /// <summary>Takes every frame it can get, then asks the kernel to write into an untouched heap page: the copy cannot be backed.</summary>
    private static int CopyWithoutFrames()
    {
        byte* memory = (byte*)Heap.Malloc(470 * MiB);
        byte* target = (byte*)Heap.Malloc(PageSize);
        ulong touched = 0;
        while (Memory.Counters().AvailableFrames > 0)
        {
            memory[touched] = 1;
            touched += PageSize;
        }
        long status = Sys.GetMemoryCounters((MemoryCounters*)target);
        System.Console.Write("tst_edges: the copy returned ");
        System.Console.Write(status);
        System.Console.WriteLine(" and the process goes on");
        return 1;
    }

    /// <summary>Keeps a heap with a few runs of reserved and touched pages, then sleeps until killed.</summary>
    private static int Hold()
    {
        byte* pages = (byte*)Heap.Malloc(64 * KiB);
        Memory.TouchPages(pages, 3 * PageSize, 1);
        byte* far = (byte*)Heap.Malloc(MiB);
        far[MiB - 1] = 2;
        byte* block = (byte*)Heap.Malloc(100);
        block[0] = 3;
        System.Console.WriteLine("tst_edges: holding");
        System.Console.Flush();
        while (true)
        {
            Sys.SleepMilliseconds(1000);
        }
    }

    /// <summary>Touches heap pages until only <paramref name="leave"/> frames are free in the machine, then sleeps until killed.</summary>
    private static int Hog(ulong leave)
    {
        ulong size = 470 * MiB;
        byte* memory = (byte*)Heap.Malloc(size);
        ulong touched = 0;
        while (touched < size && Memory.Counters().AvailableFrames > leave)
        {
            memory[touched] = 1;
            touched += PageSize;
        }
        MemoryCounters counters = Memory.Counters();
        System.Console.Write("tst_edges: hogging, available frames ");
        System.Console.Write(counters.AvailableFrames);
        System.Console.Write(", free frames ");
        System.Console.Write(counters.FreeFrames);
        System.Console.WriteLine();
        System.Console.Flush();
        while (true)
        {
            Sys.SleepMilliseconds(1000);
        }
    }

    private static ulong ParseDecimal(string text)
    {
        ulong value = 0;
        for (int i = 0; i < text.Length && text[i] >= '0' && text[i] <= '9'; i++)
        {
            value = value * 10 + (ulong)(text[i] - '0');
        }
        return value;
    }

    private static void Fill(byte* p, ulong length, byte value)
    {
        for (ulong i = 0; i < length; i++)
        {
            p[i] = value;
        }
    }

    private static bool Holds(byte* p, ulong length, byte value)
    {
        for (ulong i = 0; i < length; i++)
        {
            if (p[i] != value)
            {
                return false;
            }
        }
        return true;
    }
}
