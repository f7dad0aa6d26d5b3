using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Kernel.Memory;

namespace Kernel.Shell.Commands;

/// <summary>
/// Memory at a glance: frames per zone, the kernel's reserve of frames, the kernel heap's summary (its
/// classes are <c>kheap</c>'s). On VGA the usage figures are coloured green, yellow from 50 %, red from 80 %.
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

        Console.WriteLine("kernel heap");
        KernelHeapView.WriteSummary(MemoryManager.Heap, MemoryManager.HeapLayout);
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
}
