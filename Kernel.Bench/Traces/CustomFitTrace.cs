using Kernel.Mem;

namespace Kernel.Bench.Traces;

/// <summary>
/// Large allocations under custom fit with a given number of holes. <see cref="Layout"/> allocates 2N + 1
/// page-multiple blocks in a row (on an empty page area each extends the break, so they lie in address
/// order): one-page separators at the even positions, would-be holes of an even number of pages
/// (<see cref="SmallestHolePages"/>..<see cref="LargestHolePages"/>, every size equally often, in shuffled
/// order) at the odd ones; then it frees the odd ones. That leaves exactly N holes, none merged with another
/// and none touching the break.
/// <see cref="Requests"/> then allocates and at once frees one block, <see cref="RequestPairs"/> times:
/// half the requests an even size (there is a hole of exactly that size: exact fit), half an odd size
/// (no hole has it: worst fit from the largest hole). Either way the free puts back the hole the allocation
/// took (merging the worst-fit remainder again), so the hole count stays N through every replay.
/// </summary>
internal sealed class CustomFitTrace
{
    public const uint SeparatorPages = 1;
    public const uint SmallestHolePages = 2;
    public const uint LargestHolePages = 64;

    /// <summary>Allocate + free pairs per replay of <see cref="Requests"/>.</summary>
    public const int RequestPairs = 2048;

    /// <summary>Operations (allocations and frees) per replay of <see cref="Requests"/>.</summary>
    public const int RequestOperations = 2 * RequestPairs;

    private const ulong Seed = 0x6375_7374_6F6D_6669; // "customfi"

    private CustomFitTrace(int holeCount, TraceOperation[] layout, TraceOperation[] requests, ulong layoutPages)
    {
        HoleCount = holeCount;
        Layout = layout;
        Requests = requests;
        LayoutPages = layoutPages;
    }

    public int HoleCount { get; }
    public TraceOperation[] Layout { get; }
    public TraceOperation[] Requests { get; }

    /// <summary>Slots the layout uses plus the one the requests use.</summary>
    public int SlotCount => 2 * HoleCount + 2;

    /// <summary>Pages from the start of the page area to the break once the layout is in place.</summary>
    public ulong LayoutPages { get; }

    /// <summary>The page area a replay needs: the layout, and room for a request above the break should one ever land there.</summary>
    public ulong AreaPages => LayoutPages + LargestHolePages;

    public static CustomFitTrace Create(int holeCount)
    {
        var random = new SplitMix64(Seed ^ (ulong)holeCount);
        uint sizeCount = (LargestHolePages - SmallestHolePages) / 2 + 1;
        var holeSizes = new uint[holeCount];
        for (int i = 0; i < holeCount; i++)
        {
            holeSizes[i] = SmallestHolePages + 2 * (uint)(i % sizeCount);
        }
        for (int i = holeCount - 1; i > 0; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (holeSizes[i], holeSizes[j]) = (holeSizes[j], holeSizes[i]);
        }

        var layout = new TraceOperation[(2 * holeCount + 1) + holeCount];
        int count = 0;
        ulong pages = 0;
        for (int block = 0; block < 2 * holeCount + 1; block++)
        {
            uint blockPages = block % 2 == 0 ? SeparatorPages : holeSizes[block / 2];
            layout[count++] = TraceOperation.Allocation(block, Bytes(blockPages));
            pages += blockPages;
        }
        for (int block = 1; block < 2 * holeCount + 1; block += 2)
        {
            layout[count++] = TraceOperation.Free(block);
        }

        int requestSlot = 2 * holeCount + 1;
        var requests = new TraceOperation[RequestOperations];
        for (int i = 0; i < RequestPairs; i++)
        {
            uint requestPages = random.Next() % 2 == 0
                ? SmallestHolePages + 2 * random.Between(0, sizeCount - 1)
                : random.Between(SmallestHolePages / 2, LargestHolePages / 2 - 1) * 2 + 1;
            requests[2 * i] = TraceOperation.Allocation(requestSlot, Bytes(requestPages));
            requests[2 * i + 1] = TraceOperation.Free(requestSlot);
        }
        return new CustomFitTrace(holeCount, layout, requests, pages);
    }

    private static uint Bytes(uint pages) => pages << MemConstants.PageShift;
}
