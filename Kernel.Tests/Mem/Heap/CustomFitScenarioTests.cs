using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>The FOS course's test of custom fit (docs/fos-memory.md, "The course's custom-fit scenario"), run on the kernel heap with real frames and page tables.</summary>
public sealed unsafe class CustomFitScenarioTests : System.IDisposable
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong PageAreaSize = 32 * MiB;
    private const ulong BlockAreaSize = 4 * MiB;

    private readonly HeapMachine _machine = new HeapMachine(
        heapSize: BlockAreaSize + KernelHeapLayout.GuardSize + PageAreaSize, blockAreaSize: BlockAreaSize, frameCount: 12 * 1024);

    public void Dispose() => _machine.Dispose();

    private KernelHeap<Kernel.Tests.Emulation.EmulatedRam.Accessor, Kernel.Tests.Emulation.RecordingTlb> Heap => _machine.Heap;

    private ulong At(ulong offset) => _machine.Layout.PageAreaStart + offset;

    private ulong Allocate(ulong size) => (ulong)Heap.Allocate(size);

    private void Free(ulong address) => Assert.Equal(FreeStatus.Freed, Heap.Free((void*)address));

    private static ulong Pages(ulong bytes) => bytes / MemConstants.PageSize;

    private void AssertBacked(ulong address, ulong size)
    {
        for (ulong page = address; page < address + size; page += MemConstants.PageSize)
        {
            ulong physical = Heap.PhysicalAddress(page + 8);
            Assert.NotEqual(0UL, physical);
            Assert.Equal(PagingStatus.Success, _machine.Mapper.Translate(page + 8, out Translation translation));
            Assert.Equal(physical, translation.PhysicalAddress);
            Assert.Equal(page + 8, Heap.VirtualAddress(physical));
        }
    }

    private void AssertUnbacked(ulong address, ulong size)
    {
        for (ulong page = address; page < address + size; page += MemConstants.PageSize)
        {
            Assert.Equal(0UL, Heap.PhysicalAddress(page));
            Assert.False(_machine.IsMapped(page));
        }
    }

    private void AssertFrames(ulong heapPages)
    {
        Assert.Equal(heapPages, _machine.Statistics.Frames);
        Assert.Equal(heapPages, _machine.Statistics.PagesInUse);
    }

    [Fact]
    public void The_FOS_custom_fit_scenario_places_every_request_by_exact_fit_then_worst_fit_then_the_break()
    {
        // Allocate 4, 3, 2, 4, 1, 1, 1, 2, 2 MiB in a row from the start of the page area.
        ulong[] sizes = { 4 * MiB, 3 * MiB, 2 * MiB, 4 * MiB, 1 * MiB, 1 * MiB, 1 * MiB, 2 * MiB, 2 * MiB };
        var a = new ulong[sizes.Length];
        ulong offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            a[i] = Allocate(sizes[i]);
            Assert.Equal(At(offset), a[i]);
            offset += sizes[i];
        }
        Assert.Equal(At(20 * MiB), _machine.Statistics.Break);
        AssertFrames(Pages(20 * MiB));
        AssertBacked(a[0], 20 * MiB);

        // Free the 2nd, 4th, 6th and 8th: holes of 3, 4, 1 and 2 MiB.
        Free(a[1]);
        Free(a[3]);
        Free(a[5]);
        Free(a[7]);
        AssertFrames(Pages(10 * MiB));
        AssertUnbacked(a[1], 3 * MiB);
        AssertUnbacked(a[3], 4 * MiB);
        AssertUnbacked(a[5], 1 * MiB);
        AssertUnbacked(a[7], 2 * MiB);
        Assert.Equal(4UL, _machine.Statistics.HoleCount);
        Assert.Equal(4 * MiB, _machine.Statistics.LargestHoleBytes);
        Assert.Equal(At(20 * MiB), _machine.Statistics.Break);

        // 1 MiB: exact fit in the 1 MiB hole.
        ulong exact1 = Allocate(1 * MiB);
        Assert.Equal(At(14 * MiB), exact1);

        // 1 MiB + 4 KiB: no exact fit, worst fit at the start of the 4 MiB hole.
        ulong worst1 = Allocate(1 * MiB + 4 * KiB);
        Assert.Equal(At(9 * MiB), worst1);

        // 3 MiB - 4 KiB: exact fit in the rest of that hole.
        ulong exact2 = Allocate(3 * MiB - 4 * KiB);
        Assert.Equal(At(10 * MiB + 4 * KiB), exact2);

        // 1.5 MiB: worst fit in the 3 MiB hole.
        ulong worst2 = Allocate(3 * MiB / 2);
        Assert.Equal(At(4 * MiB), worst2);

        // 2.5 MiB: the holes left (1.5 and 2 MiB) are too small, so the break is extended.
        ulong extended = Allocate(5 * MiB / 2);
        Assert.Equal(At(20 * MiB), extended);
        Assert.Equal(At(22 * MiB + MiB / 2), _machine.Statistics.Break);
        AssertFrames(Pages(10 * MiB + 1 * MiB + 4 * MiB + 3 * MiB / 2 + 5 * MiB / 2));
        AssertBacked(extended, 5 * MiB / 2);

        // More than what remains (9.5 MiB above the break, holes of 1.5 and 2 MiB): null, no frame taken.
        int outstanding = _machine.Frames.Outstanding;
        HeapStatistics before = _machine.Statistics;
        Assert.Equal(0UL, Allocate(10 * MiB));
        Assert.Equal(outstanding, _machine.Frames.Outstanding);
        Assert.Equal(before.Frames, _machine.Statistics.Frames);
        Assert.Equal(before.Break, _machine.Statistics.Break);
        Assert.Equal(before.HoleCount, _machine.Statistics.HoleCount);

        // Freeing neighbours merges: 1 + 1 + 2 -> 4 MiB, then + 2 -> 6 MiB.
        Free(exact1);
        Free(a[6]);
        Assert.Equal(4 * MiB, _machine.Statistics.LargestHoleBytes);
        Assert.Equal(2UL, _machine.Statistics.HoleCount);
        Free(a[8]);
        Assert.Equal(6 * MiB, _machine.Statistics.LargestHoleBytes);
        Assert.Equal(2UL, _machine.Statistics.HoleCount);
        AssertUnbacked(At(14 * MiB), 6 * MiB);

        // Later allocations land by the same rules: 5 MiB by worst fit into the 6 MiB hole, 1.5 MiB exactly
        // into the 1.5 MiB hole, 1 MiB exactly into the rest of the 6 MiB hole.
        ulong worst3 = Allocate(5 * MiB);
        Assert.Equal(At(14 * MiB), worst3);
        ulong exact3 = Allocate(3 * MiB / 2);
        Assert.Equal(At(5 * MiB + MiB / 2), exact3);
        ulong exact4 = Allocate(1 * MiB);
        Assert.Equal(At(19 * MiB), exact4);
        Assert.Equal(0UL, _machine.Statistics.HoleCount);

        // Freeing the topmost allocations moves the break down.
        Free(extended);
        Assert.Equal(At(20 * MiB), _machine.Statistics.Break);
        AssertUnbacked(extended, 5 * MiB / 2);
        Free(exact4);
        Assert.Equal(At(19 * MiB), _machine.Statistics.Break);
        Free(worst3);
        Assert.Equal(At(14 * MiB), _machine.Statistics.Break);
        Assert.Equal(0UL, _machine.Statistics.HoleCount);

        // Freeing the rest returns every frame, page tables included.
        Free(a[0]);
        Free(worst2);
        Free(exact3);
        Free(a[2]);
        Free(worst1);
        Free(exact2);
        Free(a[4]);
        Assert.Equal(_machine.Layout.PageAreaStart, _machine.Statistics.Break);
        AssertFrames(0);
        Assert.Equal(_machine.BaselineFrames, _machine.Frames.Outstanding);
        AssertUnbacked(At(0), 22 * MiB + MiB / 2);
    }
}
