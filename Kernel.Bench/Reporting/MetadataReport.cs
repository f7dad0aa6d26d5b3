using System.IO;
using Kernel.Bench.Machine;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Tests.Emulation;

namespace Kernel.Bench.Reporting;

/// <summary>
/// The heap's metadata as a share of the range it manages (the issue's goal: at most 1%), component by
/// component, for a few machines. The figure is a function of the layout alone, and so of the heap's size
/// but not of the RAM (physical to virtual goes through frame tags in the frame allocator's mem_map, which
/// exists anyway); for the first two the report also builds the heap and reads the figure back from its
/// statistics.
/// </summary>
internal static class MetadataReport
{
    /// <summary>Where the kernel puts its heap; any page-aligned base gives the same figures.</summary>
    private const ulong KernelHeapBase = 0xFFFF_C000_0000_0000;

    private const ulong GoalPercent = 1;

    private static readonly (ulong HeapSize, ulong RamSize, bool Build)[] s_configurations =
    {
        (256 * MemConstants.MiB, 512 * MemConstants.MiB, true),
        (1 * MemConstants.GiB, 4 * MemConstants.GiB, true),
        (1 * MemConstants.GiB, 16 * MemConstants.GiB, false),
        (64 * MemConstants.MiB, 512 * MemConstants.MiB, false),
    };

    public static void Print(TextWriter output)
    {
        output.WriteLine("Heap metadata (block area 32 MiB, the FOS cap; figures in KiB)");
        output.WriteLine("| Heap     | RAM      | Blocks (80 B/page) | Pages (20 B+1 bit/page) | Virt->phys (4 B/page) | Total    | Per range page | Of range | Goal <= 1% | From a built heap |");
        output.WriteLine("|----------|----------|-------------------:|------------------------:|----------------------:|---------:|---------------:|---------:|:----------:|:-----------------:|");
        foreach ((ulong heapSize, ulong ramSize, bool build) in s_configurations)
        {
            var layout = new KernelHeapLayout(KernelHeapBase, heapSize, KernelHeapLayout.MaximumBlockAreaSize);
            ulong blocks = BlockAllocator<UnbackedPages>.MetadataBytes(layout.BlockAreaPages);
            ulong pages = PageAllocator<UnbackedPages>.MetadataBytes(layout.PageAreaPages);
            ulong forward = layout.RangePages * sizeof(uint);
            ulong total = KernelHeap<EmulatedRam.Accessor, NullTlb>.MetadataBytes(layout);
            string built = build ? BuiltFigure(heapSize, ramSize, total) : "-";
            output.WriteLine(
                $"| {Size(heapSize),-8} | {Size(ramSize),-8} | {KiB(blocks),18} | {KiB(pages),23} | {KiB(forward),21} | {KiB(total),8} "
                + $"| {(double)total / layout.RangePages,12:0.00} B | {100.0 * total / layout.Size,7:0.000}% | {(total * 100 <= layout.Size * GoalPercent ? "met" : "MISSED"),-10} | {built,-17} |");
        }
        output.WriteLine();
        output.WriteLine("Two parts, neither growing with RAM: the block area's records, fixed at 640 KiB for the 32 MiB area");
        output.WriteLine("(80 B per block page, 64 B of it the allocation bitmap: 1.95% of the block area itself); and about");
        output.WriteLine("0.59% of the range (20 B and a bit per page-area page, 4 B per page of the range). Physical to virtual");
        output.WriteLine("costs the heap nothing: it tags each frame it maps in the frame allocator's 8-byte entry. So 1% holds");
        output.WriteLine("on any amount of RAM for every heap of ~114 MiB and more, and never for a smaller one.");
        output.WriteLine();
    }

    /// <summary>Builds the heap on an emulated machine of that size (memory is committed lazily) and reads its statistics.</summary>
    private static string BuiltFigure(ulong heapSize, ulong ramSize, ulong expected)
    {
        ulong frames = (ramSize - MemConstants.MiB) >> MemConstants.PageShift;
        using var machine = new HeapMachine(heapSize, KernelHeapLayout.MaximumBlockAreaSize, frames);
        ulong actual = machine.Heap.GetStatistics().MetadataBytes;
        return actual == expected ? "same" : $"{KiB(actual)} KiB (differs)";
    }

    private static string KiB(ulong bytes) => (bytes / (double)MemConstants.KiB).ToString("0.0");

    private static string Size(ulong bytes) =>
        bytes >= MemConstants.GiB ? $"{bytes / MemConstants.GiB} GiB" : $"{bytes / MemConstants.MiB} MiB";
}
