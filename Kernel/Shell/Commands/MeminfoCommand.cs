using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Physical;
using Kernel.Memory;

namespace Kernel.Shell.Commands
{
    /// <summary>
    /// Memory at a glance: frames per zone, the kernel's reserve of frames, the kernel heap's block and page
    /// areas, call counts. On VGA the usage figures are coloured green, yellow from 50 %, red from 80 %.
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
            FrameReserve<KernelFrameSource> reserve = MemoryManager.UserFrames;
            Console.Write("kernel reserve: ");
            Console.WriteDecimal(reserve.ReserveFrames);
            Console.Write(" frames (");
            Console.WriteDecimal(reserve.ReserveFrames * MemConstants.PageSize / MemConstants.KiB);
            Console.Write(" KiB) user memory may not take; ");
            Console.WriteDecimal(reserve.AvailableFrames);
            Console.Write(" frames available to it, ");
            Console.WriteDecimal(reserve.Refusals);
            Console.WriteLine(" refused");

            HeapStatistics heap = MemoryManager.Heap.GetStatistics();
            Console.WriteLine("kernel heap");
            Console.Write("  block area: ");
            Console.WriteDecimal(heap.BlockPages);
            Console.Write(" pages, ");
            Console.WriteDecimal(heap.BlockBytesInUse);
            Console.Write(" B in use, ");
            Console.WriteDecimal(heap.BlockBytesFree);
            Console.Write(" B free, ");
            Console.WriteDecimal(heap.BlockBorrows);
            Console.WriteLine(" borrows");
            Console.Write("  classes (size:pages/free blocks):");
            for (int c = 0; c < KernelHeap<KernelPhysicalMemory, KernelTlb>.BlockClassCount; c++)
            {
                if (c % ClassesPerLine == 0)
                {
                    Console.WriteLine();
                    Console.Write("   ");
                }
                BlockClassStatistics cls = MemoryManager.Heap.GetClassStatistics(c);
                Console.Write(" ");
                Console.WriteDecimal(cls.BlockSize, 4);
                Console.Write(":");
                Console.WriteDecimal(cls.Pages);
                Console.Write("/");
                Console.WriteDecimal(cls.FreeBlocks);
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
            Console.WriteLine(" KiB");
            Console.Write("  break:      ");
            Console.WriteHex(heap.Break);
            Console.Write(", limit ");
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
            Console.Write("  early boot: ");
            Console.WriteDecimal(ObjectAllocator.EarlyBytesAllocated / MemConstants.KiB);
            Console.Write(" KiB of ");
            Console.WriteDecimal(ObjectAllocator.EarlyCapacity / MemConstants.KiB);
            Console.Write(" KiB in ");
            Console.WriteDecimal(ObjectAllocator.EarlyAllocations);
            Console.WriteLine(" objects, before the heap (never freed)");
            KernelImageLayout image = MemoryManager.Image;
            Console.WriteLine("kernel image");
            WriteSection("text", image.TextStart, image.TextEnd, "r-x");
            WriteSection("rodata", image.ReadOnlyStart, image.ReadOnlyEnd, "r--");
            WriteSection("data", image.DataStart, image.VirtualEnd, "rw-");
        }

        private const int ClassesPerLine = 5;

        private static void WriteSection(string name, ulong start, ulong end, string rights)
        {
            Console.Write("  ");
            Console.WritePadded(name, 8);
            WriteRange(start, end);
            Console.Write(" ");
            Console.WriteLine(rights);
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
