using System.Diagnostics;
using Kernel.Mem.Replacement;
using Xunit;

namespace Kernel.Tests.Mem.Replacement;

/// <summary>
/// Placement finds a free entry without walking the whole table: a program that touches hundreds of thousands of
/// pages under a large working-set limit (the kernel's default is 262144 pages) took a fault path that grew
/// with every page it had already touched, so a 300 MiB heap crawled at a few thousand faults a second.
/// </summary>
public sealed unsafe class WorkingSetPlacementTests
{
    private const ulong PageSize = 4096;
    private const ulong FirstPage = 0x8200_1000;
    private const int Pages = 131072;

    [Fact]
    public void Placing_pages_in_a_set_without_holes_takes_time_linear_in_the_pages()
    {
        WorkingSet set = new WorkingSet(Pages, ReplacementPolicy.Clock, WorkingSet.InitialEntries, null, null);
        Stopwatch watch = Stopwatch.StartNew();
        for (int i = 0; i < Pages; i++)
        {
            Assert.Equal(i, set.Add(FirstPage + (ulong)i * PageSize, WorkingSet.NoSlot));
        }
        watch.Stop();

        Assert.Equal(Pages, set.Count);
        // Linear placement takes a few milliseconds; walking the used entries for each page takes 8.6e9 steps.
        Assert.True(watch.ElapsedMilliseconds < 2000, $"{Pages} placements took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Placement_fills_the_lowest_hole_first_and_then_appends()
    {
        WorkingSet set = new WorkingSet(16, ReplacementPolicy.Clock, WorkingSet.InitialEntries, null, null);
        for (int i = 0; i < 8; i++)
        {
            set.Add(FirstPage + (ulong)i * PageSize, WorkingSet.NoSlot);
        }
        set.RemoveAt(5);
        set.RemoveAt(2);

        Assert.Equal(2, set.Add(0x9000_0000, WorkingSet.NoSlot));
        Assert.Equal(5, set.Add(0x9000_1000, WorkingSet.NoSlot));
        Assert.Equal(8, set.Add(0x9000_2000, WorkingSet.NoSlot));
        Assert.Equal(9, set.Count);
        Assert.Equal(2, set.IndexOf(0x9000_0000));
    }
}
