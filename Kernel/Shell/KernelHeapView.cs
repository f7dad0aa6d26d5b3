using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Memory;

namespace Kernel.Shell;

/// <summary>
/// The kernel heap's statistics as the shell prints them: <c>meminfo</c> shows the summary, <c>kheap</c> the
/// summary and the per-class table. One writer, so the two commands always show the same figures the same way.
/// </summary>
internal static class KernelHeapView
{
    /// <summary>Block area, page area, break, frames and call counts, two spaces in.</summary>
    public static void WriteSummary(KernelHeap<KernelPhysicalMemory, KernelTlb> heap, KernelHeapLayout layout)
    {
        HeapStatistics stats = heap.GetStatistics();
        Console.Write("  block area: ");
        Console.WriteDecimal(stats.BlockPages);
        Console.Write(" pages, ");
        Console.WriteDecimal(stats.BlockBytesInUse);
        Console.Write(" B in use, ");
        Console.WriteDecimal(stats.BlockBytesFree);
        Console.Write(" B free, ");
        Console.WriteDecimal(stats.BlockBorrows);
        Console.WriteLine(" borrows");
        Console.Write("  page area:  ");
        Console.WriteDecimal(stats.PagesInUse);
        Console.Write(" pages in use, ");
        Console.WriteDecimal(stats.HoleCount);
        Console.Write(" holes (");
        Console.WriteDecimal(stats.PageBytesFree / MemConstants.KiB);
        Console.Write(" KiB), largest hole ");
        Console.WriteDecimal(stats.LargestHoleBytes / MemConstants.KiB);
        Console.WriteLine(" KiB");
        Console.Write("  break:      ");
        Console.WriteHex(stats.Break);
        Console.Write(", limit ");
        Console.WriteHex(stats.Limit);
        Console.WriteLine();
        Console.Write("  frames:     ");
        Console.WriteDecimal(stats.Frames);
        Console.Write(" held, metadata ");
        Console.WriteDecimal(stats.MetadataBytes / MemConstants.KiB);
        Console.Write(" KiB (");
        WritePercent(stats.MetadataBytes * 10000 / layout.Size);
        Console.WriteLine(" of the heap range)");
        Console.Write("  calls:      ");
        Console.WriteDecimal(stats.Allocations);
        Console.Write(" kmalloc, ");
        Console.WriteDecimal(stats.Frees);
        Console.Write(" kfree, ");
        Console.WriteDecimal(stats.Reallocations);
        Console.Write(" krealloc, ");
        Console.WriteDecimal(stats.FailedAllocations);
        Console.Write(" failed, ");
        Console.WriteDecimal(stats.BadFrees);
        Console.WriteLine(" bad kfree");
    }

    /// <summary>One line per block class: size, blocks per page, pages, blocks in use and free, bytes in use.</summary>
    public static void WriteClasses(KernelHeap<KernelPhysicalMemory, KernelTlb> heap)
    {
        Console.WriteLine("class   per page   pages   in use    free    bytes in use");
        for (int c = 0; c < KernelHeap<KernelPhysicalMemory, KernelTlb>.BlockClassCount; c++)
        {
            BlockClassStatistics cls = heap.GetClassStatistics(c);
            Console.WriteDecimal(cls.BlockSize, 5);
            Console.WriteDecimal(cls.BlocksPerPage, 11);
            Console.WriteDecimal(cls.Pages, 8);
            Console.WriteDecimal(cls.BlocksInUse, 9);
            Console.WriteDecimal(cls.FreeBlocks, 8);
            Console.WriteDecimal(cls.BytesInUse, 16);
            Console.WriteLine();
        }
    }

    /// <summary>Writes a value given in hundredths of a percent as "0.88%".</summary>
    private static void WritePercent(ulong hundredths)
    {
        Console.WriteDecimal(hundredths / 100);
        Console.Write(".");
        if (hundredths % 100 < 10)
        {
            Console.Write('0');
        }
        Console.WriteDecimal(hundredths % 100);
        Console.Write("%");
    }
}
