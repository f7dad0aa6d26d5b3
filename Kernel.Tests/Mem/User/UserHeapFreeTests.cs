using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.Replacement;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Paging;
using Kernel.Tests.Mem.Replacement;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// free_user_mem (<see cref="UserAddressSpace{TMem, TTlb}.FreeHeap{TStore}"/>) over large ranges: it visits the
/// entries that exist, not every page of the range, and gives back pinned, swapped and resident pages alike.
/// </summary>
public sealed unsafe class UserHeapFreeTests
{
    private const ulong Page = MemConstants.PageSize;

    [Fact]
    public void Freeing_the_whole_heap_reads_the_tables_that_exist_not_every_page_of_it()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        var counter = new ReadCountingMemory.Counter();
        Assert.Equal(PagingStatus.Success, UserAddressSpace<ReadCountingMemory, RecordingTlb>.Create(
            new ReadCountingMemory(machine.Ram.Memory, counter), new RecordingTlb(machine.Tlb), machine.Frames, machine.Root,
            PageFlags.NoExecute, out var space));
        int baseline = machine.Frames.Outstanding;
        // Two runs far apart, three pages touched: 12 entries in a heap of 131,072 pages.
        ulong low = UserLayout.PageAreaBase;
        ulong high = UserLayout.HeapEnd - 4 * Page;
        Assert.Equal(UserMemoryStatus.Ok, space.ReserveHeap(low, 8 * Page));
        Assert.Equal(UserMemoryStatus.Ok, space.ReserveHeap(high, 4 * Page));
        Assert.Equal(UserMemoryStatus.Ok, space.BackReservedPage(low));
        Assert.Equal(UserMemoryStatus.Ok, space.BackReservedPage(low + 7 * Page));
        Assert.Equal(UserMemoryStatus.Ok, space.BackReservedPage(high + 3 * Page));
        const long Entries = 12;
        long regions = (long)((UserLayout.HeapEnd - UserLayout.HeapBase) / MemConstants.LargePageSize);
        counter.Reads = 0;

        Assert.Equal(UserMemoryStatus.Ok, space.FreeHeap(UserLayout.HeapBase, UserLayout.HeapEnd - UserLayout.HeapBase, out ulong freed));

        Assert.Equal(3UL, freed);
        Assert.Equal(0UL, space.HeapReservedPages + space.HeapResidentPages + space.ResidentPages);
        Assert.Equal(1UL, space.TableFrames);
        Assert.Equal(baseline, machine.Frames.Outstanding);
        // A region without a page table costs one descent (at most four reads), an entry that exists a few
        // walks of its own; a page-by-page walk reads three tables for each of the 131,072 pages.
        Assert.True(counter.Reads <= 4 * regions + 16 * Entries, $"{counter.Reads} table reads");
    }

    [Fact]
    public void Freeing_gives_back_pinned_swapped_and_resident_pages_and_leaves_the_neighbours()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, 16);
        MemoryPageStore.Seam seam = store.AsSeam;
        Assert.Equal(PagingStatus.Success, UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(
            machine.Ram.Memory, new RecordingTlb(machine.Tlb), machine.Frames, machine.Root, PageFlags.NoExecute, out var space));
        space.UseWorkingSet(new WorkingSet(2, ReplacementPolicy.Clock));
        ulong heap = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, space.ReserveHeap(heap, 10 * Page));
        // Pages 0 and 1 pinned (mlockall), then 2 to 5 touched through a working set of two: 2 and 3 swapped.
        WorkingSetPageFileModelTests.Access(machine, space, ref seam, heap, true, 1);
        WorkingSetPageFileModelTests.Access(machine, space, ref seam, heap + Page, true, 2);
        space.PinResidentPages(ref seam);
        for (ulong page = 2; page < 6; page++)
        {
            WorkingSetPageFileModelTests.Access(machine, space, ref seam, heap + page * Page, true, (byte)(page + 1));
        }
        Assert.Equal(2UL, space.PinnedPages);
        Assert.Equal(2UL, space.SwappedPages);
        Assert.Equal(2, space.WorkingSet.Count);

        // Free pages 1 to 8: one pinned, two swapped, two resident in the working set, three never touched.
        Assert.Equal(UserMemoryStatus.Ok, space.FreeHeap(heap + Page, 8 * Page, ref seam, out ulong freed));

        Assert.Equal(3UL, freed);
        Assert.Equal(1UL, space.PinnedPages);
        Assert.Equal(0UL, space.SwappedPages);
        Assert.Equal(0, space.WorkingSet.Count);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(0UL, space.SlotsHeld);
        Assert.Equal(2UL, space.HeapReservedPages);
        Assert.Equal(1UL, space.HeapResidentPages);
        Assert.Equal(1, WorkingSetPageFileModelTests.Access(machine, space, ref seam, heap, false, 0));
        Assert.True(space.Mapper.TryGetReservation(heap + 9 * Page, out PageFlags marks) && marks == PageFlags.UserHeapReserved);
        for (ulong page = 1; page < 9; page++)
        {
            Assert.False(space.Mapper.TryGetReservation(heap + page * Page, out _));
            Assert.NotEqual(PagingStatus.Success, space.Mapper.Translate(heap + page * Page, out _));
        }

        space.Destroy(ref seam);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }
}
