using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Physical;
using Kernel.Memory;

namespace Kernel.Shell.Commands
{
    /// <summary>
    /// Memory at a glance: frames per zone, the kernel heap's block and page areas, call counts. On VGA the
    /// usage figures are coloured green, yellow from 50 %, red from 80 %.
    /// </summary>
    internal sealed class MeminfoCommand : ShellCommand
    {
        public override string Name => "meminfo";

        public override string Summary => "zones, frames and the kernel heap";

        public override void Execute(CommandLine line)
        {
            if (line.Count != 1)
            {
                PrintUsage();
                return;
            }
            FrameAllocator<KernelPhysicalMemory> frames = MemoryManager.Frames;
            Console.WriteLine("zone      total frames   free frames    total MiB  free MiB  used");
            for (int i = 0; i < Zone.Count; i++)
            {
                WriteZone(frames.GetZone((ZoneId)i));
            }
            WriteZone("all", frames.TotalFrames, frames.FreeFrames);

            HeapStatistics heap = MemoryManager.Heap.GetStatistics();
            Console.WriteLine("kernel heap");
            Console.Write("  block area: ");
            Console.WriteDecimal(heap.BlockPages);
            Console.Write(" pages, ");
            Console.WriteDecimal(heap.BlockBytesInUse);
            Console.Write(" B in use, ");
            Console.WriteDecimal(heap.BlockBytesFree);
            Console.Write(" B free in carved pages, ");
            Console.WriteDecimal(heap.BlockBorrows);
            Console.WriteLine(" borrows");
            Console.Write("  classes:   ");
            for (int c = 0; c < KernelHeap<KernelPhysicalMemory, KernelTlb>.BlockClassCount; c++)
            {
                BlockClassStatistics cls = MemoryManager.Heap.GetClassStatistics(c);
                Console.Write(" ");
                Console.WriteDecimal(cls.BlockSize);
                Console.Write(":");
                Console.WriteDecimal(cls.Pages);
                Console.Write("p/");
                Console.WriteDecimal(cls.FreeBlocks);
                Console.Write("f");
            }
            Console.WriteLine();
            Console.Write("  page area:  ");
            Console.WriteDecimal(heap.PagesInUse);
            Console.Write(" pages in use, ");
            Console.WriteDecimal(heap.HoleCount);
            Console.Write(" holes (");
            Console.WriteDecimal(heap.PageBytesFree / MemConstants.KiB);
            Console.Write(" KiB), largest hole ");
            Console.WriteDecimal(heap.LargestHoleBytes / MemConstants.KiB);
            Console.Write(" KiB, break ");
            Console.WriteHex(heap.Break);
            Console.Write(" of ");
            Console.WriteHex(heap.Limit);
            Console.WriteLine();
            Console.Write("  frames:     ");
            Console.WriteDecimal(heap.Frames);
            Console.Write(" held, metadata ");
            Console.WriteDecimal(heap.MetadataBytes / MemConstants.KiB);
            Console.Write(" KiB (");
            WritePercent(heap.MetadataBytes * 10000 / MemoryManager.HeapLayout.Size);
            Console.WriteLine(" of the heap range)");
            Console.Write("  calls:      ");
            Console.WriteDecimal(heap.Allocations);
            Console.Write(" kmalloc, ");
            Console.WriteDecimal(heap.Frees);
            Console.Write(" kfree, ");
            Console.WriteDecimal(heap.Reallocations);
            Console.Write(" krealloc, ");
            Console.WriteDecimal(heap.FailedAllocations);
            Console.Write(" failed, ");
            Console.WriteDecimal(heap.BadFrees);
            Console.WriteLine(" bad kfree");
            KernelImageLayout image = MemoryManager.Image;
            Console.Write("kernel image: text ");
            WriteRange(image.TextStart, image.TextEnd);
            Console.Write(" r-x, rodata ");
            WriteRange(image.ReadOnlyStart, image.ReadOnlyEnd);
            Console.Write(" r--, data ");
            WriteRange(image.DataStart, image.VirtualEnd);
            Console.WriteLine(" rw-");
            Console.Write("  early boot: ");
            Console.WriteDecimal(ObjectAllocator.EarlyBytesAllocated / MemConstants.KiB);
            Console.Write(" KiB of ");
            Console.WriteDecimal(ObjectAllocator.EarlyCapacity / MemConstants.KiB);
            Console.Write(" KiB in ");
            Console.WriteDecimal(ObjectAllocator.EarlyAllocations);
            Console.WriteLine(" objects (before the heap started; never freed)");
        }

        private static void WriteRange(ulong start, ulong end)
        {
            Console.WriteHex(start);
            Console.Write("-");
            Console.WriteHex(end);
        }

        private static void WriteZone(Zone zone) => WriteZone(zone.Name, zone.TotalFrames, zone.FreeFrames);

        private static void WriteZone(string name, ulong total, ulong free)
        {
            Console.WritePadded(name, 8);
            Console.WriteDecimal(total, 14);
            Console.WriteDecimal(free, 14);
            Console.WriteDecimal(total * MemConstants.PageSize / MemConstants.MiB, 13);
            Console.WriteDecimal(free * MemConstants.PageSize / MemConstants.MiB, 10);
            Console.Write("  ");
            ulong usedPercent = total == 0 ? 0 : (total - free) * 100 / total;
            Console.SetColor(usedPercent >= 80 ? ConsoleColor.LightRed : usedPercent >= 50 ? ConsoleColor.Yellow : ConsoleColor.LightGreen);
            Console.WriteDecimal(usedPercent, 3);
            Console.Write("%");
            Console.ResetColor();
            Console.WriteLine();
        }

        /// <summary>Writes a value given in hundredths of a percent as "0.88%".</summary>
        internal static void WritePercent(ulong hundredths)
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
}
