using Kernel.Abi;
using Kernel.Mem;
using Kernel.Mem.User;
using UserRuntime;

/// <summary>
/// FOS's malloc test in ring 3: allocations larger than 2 KiB land where custom fit puts them, one after the
/// other from 0x8200_1000; malloc only reserves (no frame for a heap page, only the page tables a new 2 MiB
/// region needs), the first touch of each page takes exactly one frame, the break follows the allocations,
/// and a request larger than what remains returns null and changes nothing.
/// </summary>
internal static unsafe class Program
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong PageSize = MemConstants.PageSize;
    private const int Count = 6;

    internal static int Main(string[] args)
    {
        TestLog.Begin("tst_malloc");
        // Mixed sizes above the 2 KiB block limit; an initialised stackalloc would need metadata tokens the
        // runtime does not offer, hence the plain stores.
        ulong* sizes = stackalloc ulong[Count];
        sizes[0] = 3 * MiB;
        sizes[1] = 2 * MiB + 1;
        sizes[2] = 4 * KiB + 1;
        sizes[3] = 10 * KiB;
        sizes[4] = MiB - 100;
        sizes[5] = 3000;
        byte** blocks = stackalloc byte*[Count];
        // The names' class constructor runs on their first use: run it now, before the first figures are read.
        TestLog.Check(s_placements.Length == Count && s_tables.Length == Count, "the_check_names_are_ready");
        MemoryCounters start = Memory.Counters();
        TestLog.Equal(UserLayout.PageAreaBase, Heap.Break, "the_break_starts_at_the_page_area_0x82001000");

        ulong expected = UserLayout.PageAreaBase;
        ulong totalPages = 0;
        ulong coveredEnd = UserLayout.PageAreaBase;
        bool addresses = true;
        bool noFrames = true;
        bool reserved = true;
        bool tables = true;
        for (int i = 0; i < Count; i++)
        {
            ulong pages = (sizes[i] + PageSize - 1) / PageSize;
            MemoryCounters before = Memory.Counters();
            blocks[i] = (byte*)Heap.Malloc(sizes[i]);
            MemoryCounters after = Memory.Counters();
            addresses &= TestLog.Equal(expected, (ulong)blocks[i], s_placements[i]);
            noFrames &= after.HeapResidentPages == before.HeapResidentPages;
            reserved &= after.HeapReservedPages - before.HeapReservedPages == pages;
            // The page tables are exactly those of the 2 MiB regions this allocation is the first to reach.
            ulong end = expected + pages * PageSize;
            tables &= TestLog.Equal(NewRegions(coveredEnd, end), after.PageTableFrames - before.PageTableFrames, s_tables[i]);
            coveredEnd = end;
            expected = end;
            totalPages += pages;
        }
        TestLog.Check(noFrames, "malloc_takes_no_frame_for_heap_pages");
        TestLog.Check(reserved, "malloc_reserves_exactly_its_pages");
        TestLog.Equal(expected, Heap.Break, "the_break_is_right_after_the_last_allocation");

        MemoryCounters beforeTouch = Memory.Counters();
        for (int i = 0; i < Count; i++)
        {
            Memory.TouchPages(blocks[i], sizes[i], (byte)(0x40 + i));
        }
        MemoryCounters touched = Memory.Counters();
        TestLog.Equal(totalPages, touched.HeapResidentPages - beforeTouch.HeapResidentPages, "touching_every_page_takes_one_frame_per_page");
        TestLog.Equal(totalPages, touched.ResidentFrames - beforeTouch.ResidentFrames, "and_no_other_frame");
        TestLog.Equal(totalPages, touched.PageFaults - beforeTouch.PageFaults, "one_fault_per_page_touched");
        TestLog.Equal(beforeTouch.PageTableFrames, touched.PageTableFrames, "touching_takes_no_page_table");
        bool contents = true;
        for (int i = 0; i < Count; i++)
        {
            contents &= Memory.PagesHold(blocks[i], sizes[i], (byte)(0x40 + i));
        }
        TestLog.Check(contents, "every_page_keeps_what_was_written");

        ulong remaining = UserLayout.HeapEnd - Heap.Break;
        MemoryCounters beforeRefusal = Memory.Counters();
        ulong breakBefore = Heap.Break;
        void* tooLarge = Heap.Malloc(remaining + PageSize);
        void* absurd = Heap.Malloc(ulong.MaxValue - 100);
        MemoryCounters afterRefusal = Memory.Counters();
        TestLog.Check(tooLarge == null && absurd == null, "a_request_larger_than_what_remains_returns_null");
        // Only the heap's own metadata may have been read (and a metadata page backed): no heap page, reservation,
        // page table or break moves.
        TestLog.Check(afterRefusal.HeapReservedPages == beforeRefusal.HeapReservedPages && afterRefusal.HeapResidentPages == beforeRefusal.HeapResidentPages
            && afterRefusal.PageTableFrames == beforeRefusal.PageTableFrames && Heap.Break == breakBefore, "and_changes_nothing");
        void* exact = Heap.Malloc(remaining);
        TestLog.Equal(breakBefore, (ulong)exact, "exactly_what_remains_still_fits");
        Heap.Free(exact);

        for (int i = Count - 1; i >= 0; i--)
        {
            Heap.Free(blocks[i]);
        }
        MemoryCounters final = Memory.Counters();
        TestLog.Equal(UserLayout.PageAreaBase, Heap.Break, "freeing_everything_brings_the_break_back");
        TestLog.Equal(start.HeapReservedPages, final.HeapReservedPages, "and_releases_every_reservation");
        TestLog.Equal(start.HeapResidentPages, final.HeapResidentPages, "and_every_heap_frame");
        TestLog.Equal(start.PageTableFrames, final.PageTableFrames, "and_every_page_table");
        return TestLog.End();
    }

    /// <summary>The 2 MiB regions [from, to) reaches that [PageAreaBase, from) had not reached.</summary>
    private static ulong NewRegions(ulong from, ulong to)
    {
        ulong firstNew = from == UserLayout.PageAreaBase ? MemConstants.AlignDown(from, MemConstants.LargePageSize) : MemConstants.AlignUp(from, MemConstants.LargePageSize);
        ulong last = MemConstants.AlignUp(to, MemConstants.LargePageSize);
        return last > firstNew ? (last - firstNew) / MemConstants.LargePageSize : 0;
    }

    // Names made before Main, so that the checks allocate nothing the counters would see.
    private static readonly string[] s_placements =
    {
        "3_MiB_lands_at_0x82001000", "2_MiB_and_1_byte_follows", "4_KiB_and_1_byte_follows", "10_KiB_follows",
        "1_MiB_less_100_bytes_follows", "3000_bytes_take_a_page_and_follow",
    };

    private static readonly string[] s_tables =
    {
        "the_first_takes_the_page_tables_of_its_2_MiB_regions", "the_second_takes_only_those_of_new_regions",
        "the_third_takes_only_those_of_new_regions", "the_fourth_takes_only_those_of_new_regions",
        "the_fifth_takes_only_those_of_new_regions", "the_sixth_takes_only_those_of_new_regions",
    };
}
