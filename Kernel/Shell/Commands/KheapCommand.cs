using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Memory;

namespace Kernel.Shell.Commands;

/// <summary>The kernel heap in detail: its layout, every block class, and the page area's holes and allocations.</summary>
internal sealed class KheapCommand : ShellCommand
{
    private const int MaxListed = 64;

    public override string Name => "kheap";

    public override string Summary => "kernel heap: classes, holes, allocations";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        KernelHeap<KernelPhysicalMemory, KernelTlb> heap = MemoryManager.Heap;
        KernelHeapLayout layout = MemoryManager.HeapLayout;
        Console.Write("range ");
        Console.WriteHex(layout.Start);
        Console.Write("-");
        Console.WriteHex(layout.End);
        Console.Write(" (");
        Console.WriteDecimal(layout.Size / MemConstants.MiB);
        Console.WriteLine(" MiB)");
        Console.Write("block area ");
        Console.WriteHex(layout.BlockAreaStart);
        Console.Write(" (");
        Console.WriteDecimal(layout.BlockAreaSize / MemConstants.MiB);
        Console.WriteLine(" MiB)");
        Console.Write("guard page ");
        Console.WriteHex(layout.GuardPage);
        Console.Write(", page area from ");
        Console.WriteHex(layout.PageAreaStart);
        Console.WriteLine();
        KernelHeapView.WriteSummary(heap, layout);
        KernelHeapView.WriteClasses(heap);
        WriteRanges("holes", heap, holes: true);
        WriteRanges("allocations", heap, holes: false);
    }

    private static void WriteRanges(string title, KernelHeap<KernelPhysicalMemory, KernelTlb> heap, bool holes)
    {
        Console.Write(title);
        Console.WriteLine(":");
        ulong cursor = 0;
        int listed = 0;
        ulong total = 0;
        while (holes ? heap.NextHole(ref cursor, out ulong address, out ulong bytes) : heap.NextPageAllocation(ref cursor, out address, out bytes))
        {
            total++;
            if (listed++ >= MaxListed)
            {
                continue;
            }
            Console.Write("  ");
            Console.WriteHex(address);
            Console.Write("-");
            Console.WriteHex(address + bytes - 1);
            Console.Write(" ");
            Console.WriteDecimal(bytes / MemConstants.PageSize, 7);
            Console.Write(" pages (");
            Console.WriteDecimal(bytes / MemConstants.KiB);
            Console.WriteLine(" KiB)");
        }
        if (total > MaxListed)
        {
            Console.Write("  ... ");
            Console.WriteDecimal(total - MaxListed);
            Console.WriteLine(" more");
        }
        if (total == 0)
        {
            Console.WriteLine("  none");
        }
    }
}
