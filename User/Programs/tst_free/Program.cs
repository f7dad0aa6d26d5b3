using Kernel.Abi;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.User;
using UserRuntime;

/// <summary>
/// FOS's free test in ring 3: freeing gives back exactly the frames of the pages that were touched and the
/// reservation of every page, holes merge, the break moves down when the topmost allocation goes, page tables
/// of emptied 2 MiB regions are released, a double free changes nothing, and a child that touches a page it
/// freed is killed (run "tst_free touch-freed" to see its reason).
/// </summary>
internal static unsafe class Program
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong PageSize = MemConstants.PageSize;

    internal static int Main(string[] args)
    {
        if (args.Length == 2 && args[1] == "touch-freed")
        {
            byte* freed = (byte*)Heap.Malloc(64 * KiB);
            Memory.TouchPages(freed, 64 * KiB, 1);
            Heap.Free(freed);
            freed[5000] = 2;
            return 0;
        }
        TestLog.Begin("tst_free");
        string[] childArguments = { "touch-freed" };
        MemoryCounters start = Memory.Counters();
        byte* a = (byte*)Heap.Malloc(256 * KiB);
        byte* b = (byte*)Heap.Malloc(512 * KiB);
        byte* c = (byte*)Heap.Malloc(256 * KiB);
        byte* d = (byte*)Heap.Malloc(4 * MiB);
        Memory.TouchPages(a, 256 * KiB, 0xA);
        Memory.TouchPages(b, 512 * KiB, 0xB);
        Memory.TouchPages(c, 256 * KiB, 0xC);
        Memory.TouchPages(d, 2 * MiB, 0xD);

        MemoryCounters before = Memory.Counters();
        TestLog.Equal(FreeStatus.Freed == Heap.Free(b) ? 1UL : 0UL, 1, "free_of_a_touched_allocation_succeeds");
        MemoryCounters after = Memory.Counters();
        TestLog.Equal(128, before.HeapResidentPages - after.HeapResidentPages, "it_returns_exactly_its_128_touched_frames");
        TestLog.Equal(128, before.HeapReservedPages - after.HeapReservedPages, "and_releases_its_128_reserved_pages");
        TestLog.Equal((ulong)(c + 256 * KiB) + 4 * MiB, Heap.Break, "a_hole_below_the_break_leaves_the_break_alone");

        HeapStatistics statistics = Heap.Statistics;
        before = Memory.Counters();
        Heap.Free(a);
        after = Memory.Counters();
        HeapStatistics merged = Heap.Statistics;
        TestLog.Equal(64, before.HeapResidentPages - after.HeapResidentPages, "the_neighbour_returns_its_64_frames");
        TestLog.Check(statistics.HoleCount == 1 && merged.HoleCount == 1 && merged.LargestHoleBytes == 768 * KiB, "and_the_two_holes_merge_into_one_of_768_KiB");
        byte* refill = (byte*)Heap.Malloc(768 * KiB);
        TestLog.Equal(UserLayout.PageAreaBase, (ulong)refill, "the_merged_hole_takes_an_exact_fit_at_its_start");
        TestLog.Equal(0, Memory.Counters().HeapResidentPages - after.HeapResidentPages, "its_pages_come_back_unbacked");
        TestLog.Check(refill[0] == 0 && refill[300 * KiB] == 0, "and_read_as_zero_when_touched_again");
        Heap.Free(refill);

        // d: 4 MiB from 1 MiB into the page area, half of it touched; the 2 MiB regions only it reaches lose
        // their page tables when it goes.
        ulong dStart = (ulong)d;
        ulong dEnd = dStart + 4 * MiB;
        ulong onlyD = MemConstants.AlignDown(dEnd - 1, MemConstants.LargePageSize) / MemConstants.LargePageSize
            - MemConstants.AlignDown(dStart - 1, MemConstants.LargePageSize) / MemConstants.LargePageSize;
        before = Memory.Counters();
        Heap.Free(d);
        after = Memory.Counters();
        TestLog.Equal(512, before.HeapResidentPages - after.HeapResidentPages, "freeing_the_topmost_returns_only_its_512_touched_frames");
        TestLog.Equal(1024, before.HeapReservedPages - after.HeapReservedPages, "and_all_1024_of_its_reservations");
        TestLog.Equal(onlyD, before.PageTableFrames - after.PageTableFrames, "and_the_page_tables_of_the_regions_only_it_reached");
        TestLog.Equal((ulong)c + 256 * KiB, Heap.Break, "the_break_moves_down_to_the_allocation_below");

        before = Memory.Counters();
        FreeStatus again = Heap.Free(d);
        after = Memory.Counters();
        TestLog.Check(again == FreeStatus.DoubleFree && after.HeapResidentPages == before.HeapResidentPages && after.HeapReservedPages == before.HeapReservedPages
            && Heap.Break == (ulong)c + 256 * KiB, "a_double_free_is_reported_and_changes_nothing");

        Heap.Free(c);
        TestLog.Equal(UserLayout.PageAreaBase, Heap.Break, "freeing_the_last_merges_with_the_hole_below_and_brings_the_break_home");
        MemoryCounters end = Memory.Counters();
        TestLog.Equal(start.HeapReservedPages, end.HeapReservedPages, "every_reservation_is_gone");
        TestLog.Equal(start.HeapResidentPages, end.HeapResidentPages, "every_heap_frame_is_back");
        TestLog.Equal(start.PageTableFrames, end.PageTableFrames, "every_page_table_the_frees_emptied_is_released");

        long child = Process.Spawn("tst_free", childArguments);
        long waited = Process.Wait(child, out int status);
        TestLog.Check(child > 0 && waited == child && WaitStatus.IsSignaled(status) && WaitStatus.TermSignal(status) == Signal.SIGSEGV,
            "a_child_that_touches_a_page_it_freed_is_killed");
        return TestLog.End();
    }
}
