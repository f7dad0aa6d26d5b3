using Kernel.Abi;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.User;
using UserRuntime;

/// <summary>
/// The FOS course's custom-fit scenario (docs/fos-memory.md) in ring 3, in units of 1 MiB from the start of
/// the page area, with the placements, the holes and the break checked after every step and every allocation
/// touched so that frames are counted too: exact fit, worst fit, extending the break, null for what does not
/// fit, merging, and the break coming down.
/// </summary>
internal static unsafe class Program
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong PageSize = MemConstants.PageSize;

    // The most units the scenario holds at once is 22.5 (see the kernel's kheap scenario); a small machine
    // gets a smaller unit, so the same placements are checked at a smaller scale.
    private const ulong PeakUnits = 23;
    private const ulong SmallestUnit = 64 * KiB;

    private static ulong U;

    private static ulong s_livePages;
    private static ulong s_startResident;

    internal static int Main(string[] args)
    {
        TestLog.Begin("tst_custom_fit");
        MemoryCounters counters = Memory.Counters();
        U = MemConstants.MiB;
        while (U > SmallestUnit && PeakUnits * U + 2 * MemConstants.MiB > counters.AvailableFrames * PageSize)
        {
            U /= 2;
        }
        System.Console.Write("tst_custom_fit: unit ");
        System.Console.Write(U / KiB);
        System.Console.WriteLine(" KiB");
        s_startResident = counters.HeapResidentPages;

        ulong a0 = Allocate(4 * U, 0, "a0");
        ulong a1 = Allocate(3 * U, 4 * U, "a1");
        ulong a2 = Allocate(2 * U, 7 * U, "a2");
        ulong a3 = Allocate(4 * U, 9 * U, "a3");
        ulong a4 = Allocate(1 * U, 13 * U, "a4");
        ulong a5 = Allocate(1 * U, 14 * U, "a5");
        ulong a6 = Allocate(1 * U, 15 * U, "a6");
        ulong a7 = Allocate(2 * U, 16 * U, "a7");
        ulong a8 = Allocate(2 * U, 18 * U, "a8");
        TestLog.Equal(At(20 * U), Heap.Break, "nine_allocations_in_a_row_put_the_break_at_20_units");

        Free(a1, 3 * U);
        Free(a3, 4 * U);
        Free(a5, 1 * U);
        Free(a7, 2 * U);
        HeapStatistics statistics = Heap.Statistics;
        TestLog.Check(statistics.HoleCount == 4 && statistics.LargestHoleBytes == 4 * U && Heap.Break == At(20 * U), "four_frees_leave_holes_of_3_4_1_2_below_an_unmoved_break");

        ulong exact1 = Allocate(1 * U, 14 * U, "exact_fit_1_unit_into_the_1_unit_hole");
        ulong worst1 = Allocate(1 * U + 4 * KiB, 9 * U, "worst_fit_1_unit_4_KiB_into_the_4_unit_hole");
        ulong exact2 = Allocate(3 * U - 4 * KiB, 10 * U + 4 * KiB, "exact_fit_3_units_less_4_KiB_into_the_rest");
        ulong worst2 = Allocate(3 * U / 2, 4 * U, "worst_fit_1_5_units_into_the_3_unit_hole");
        ulong extended = Allocate(5 * U / 2, 20 * U, "2_5_units_extend_the_break");
        TestLog.Equal(At(22 * U + U / 2), Heap.Break, "the_break_moved_to_22_5_units");

        MemoryCounters before = Memory.Counters();
        ulong breakBefore = Heap.Break;
        void* refused = Heap.Malloc(UserLayout.HeapEnd - Heap.Break + PageSize);
        MemoryCounters after = Memory.Counters();
        TestLog.Check(refused == null && after.HeapReservedPages == before.HeapReservedPages && after.HeapResidentPages == before.HeapResidentPages
            && after.PageTableFrames == before.PageTableFrames && Heap.Break == breakBefore, "a_request_larger_than_what_remains_returns_null_and_changes_nothing");

        Free(exact1, 1 * U);
        Free(a6, 1 * U);
        statistics = Heap.Statistics;
        bool four = statistics.LargestHoleBytes == 4 * U && statistics.HoleCount == 2;
        Free(a8, 2 * U);
        statistics = Heap.Statistics;
        TestLog.Check(four && statistics.LargestHoleBytes == 6 * U && statistics.HoleCount == 2, "freeing_neighbours_merges_1_1_2_into_4_then_6_units");

        ulong worst3 = Allocate(5 * U, 14 * U, "worst_fit_5_units_into_the_6_unit_hole");
        ulong exact3 = Allocate(3 * U / 2, 5 * U + U / 2, "exact_fit_1_5_units_into_the_1_5_unit_hole");
        ulong exact4 = Allocate(1 * U, 19 * U, "exact_fit_1_unit_into_the_rest_of_the_6_unit_hole");
        TestLog.Equal(0, Heap.Statistics.HoleCount, "every_hole_is_filled");

        Free(extended, 5 * U / 2);
        bool at20 = Heap.Break == At(20 * U);
        Free(exact4, 1 * U);
        bool at19 = Heap.Break == At(19 * U);
        Free(worst3, 5 * U);
        TestLog.Check(at20 && at19 && Heap.Break == At(14 * U), "freeing_the_topmost_allocations_moves_the_break_down_to_20_19_then_14_units");

        Free(a0, 4 * U);
        Free(worst2, 3 * U / 2);
        Free(exact3, 3 * U / 2);
        Free(a2, 2 * U);
        Free(worst1, 1 * U + 4 * KiB);
        Free(exact2, 3 * U - 4 * KiB);
        Free(a4, 1 * U);
        statistics = Heap.Statistics;
        TestLog.Check(Heap.Break == UserLayout.PageAreaBase && statistics.PagesInUse == 0 && statistics.HoleCount == 0, "freeing_everything_empties_the_page_area");
        TestLog.Equal(s_startResident, Memory.Counters().HeapResidentPages, "and_every_heap_frame_is_back");
        return TestLog.End();
    }

    private static ulong At(ulong offset) => UserLayout.PageAreaBase + offset;

    /// <summary>Allocates, checks the placement, touches every page and checks it took one frame each.</summary>
    private static ulong Allocate(ulong bytes, ulong offset, string name)
    {
        ulong pages = (bytes + PageSize - 1) / PageSize;
        byte* address = (byte*)Heap.Malloc(bytes);
        TestLog.Equal(At(offset), (ulong)address, name);
        if (address == null)
        {
            return 0;
        }
        MemoryCounters before = Memory.Counters();
        Memory.TouchPages(address, pages * PageSize, (byte)(offset / U + 1));
        MemoryCounters after = Memory.Counters();
        s_livePages += pages;
        if (after.HeapResidentPages - before.HeapResidentPages != pages || after.HeapResidentPages - s_startResident != s_livePages)
        {
            TestLog.Check(false, name + "_frames", "touching did not take exactly one frame per page");
        }
        return (ulong)address;
    }

    private static void Free(ulong address, ulong bytes)
    {
        ulong pages = (bytes + PageSize - 1) / PageSize;
        MemoryCounters before = Memory.Counters();
        FreeStatus status = Heap.Free((void*)address);
        MemoryCounters after = Memory.Counters();
        s_livePages -= pages;
        if (status != FreeStatus.Freed || before.HeapResidentPages - after.HeapResidentPages != pages)
        {
            TestLog.Check(false, "free_returns_every_frame", "a free was refused or did not return one frame per page");
        }
    }
}
