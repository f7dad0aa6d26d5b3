using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Kernel.Memory;

namespace Kernel.Shell.Commands;

/// <summary>The buddy allocator's free blocks per order, for every zone or one (dma, dma32, normal).</summary>
internal sealed class FramesCommand : ShellCommand
{
    public override string Name => "frames";

    public override string Arguments => "[dma|dma32|normal]";

    public override string Summary => "free frame runs per order and zone";

    public override void Execute(CommandLine line)
    {
        if (line.Count > 2)
        {
            PrintUsage();
            return;
        }
        int only = -1;
        if (line.Count == 2)
        {
            for (int i = 0; i < Zone.Count; i++)
            {
                if (line.WordIs(1, Zone.NameOf((ZoneId)i)) || line.WordIs(1, LowerName((ZoneId)i)))
                {
                    only = i;
                }
            }
            if (only < 0)
            {
                PrintUsage();
                return;
            }
        }
        FrameAllocator<KernelPhysicalMemory> frames = MemoryManager.Frames;
        Console.WriteLine("free blocks per order:");
        Console.Write("order:  ");
        for (int order = 0; order <= FrameAllocator<KernelPhysicalMemory>.MaxOrder; order++)
        {
            Console.WriteDecimal((ulong)order, 6);
        }
        Console.WriteLine();
        Console.Write("size:   ");
        for (int order = 0; order <= FrameAllocator<KernelPhysicalMemory>.MaxOrder; order++)
        {
            ulong kib = (MemConstants.PageSize << order) / MemConstants.KiB;
            if (kib >= 1024)
            {
                Console.WriteDecimal(kib / 1024, 5);
                Console.Write("M");
            }
            else
            {
                Console.WriteDecimal(kib, 5);
                Console.Write("K");
            }
        }
        Console.WriteLine();
        for (int i = 0; i < Zone.Count; i++)
        {
            if (only >= 0 && i != only)
            {
                continue;
            }
            Zone zone = frames.GetZone((ZoneId)i);
            Console.WritePadded(zone.Name, 8);
            for (int order = 0; order <= FrameAllocator<KernelPhysicalMemory>.MaxOrder; order++)
            {
                Console.WriteDecimal(frames.FreeBlockCount((ZoneId)i, order), 6);
            }
            Console.WriteLine();
        }
        WriteTotals(frames, only);
    }

    private static void WriteTotals(FrameAllocator<KernelPhysicalMemory> frames, int only)
    {
        Console.WriteLine("zone         free frames   total frames   largest block (frames)");
        for (int i = 0; i < Zone.Count; i++)
        {
            if (only >= 0 && i != only)
            {
                continue;
            }
            Zone zone = frames.GetZone((ZoneId)i);
            Console.WritePadded(zone.Name, 8);
            Console.WriteDecimal(zone.FreeFrames, 16);
            Console.WriteDecimal(zone.TotalFrames, 15);
            Console.WriteDecimal(zone.LargestFreeBlockFrames, 17);
            Console.WriteLine();
        }
    }

    private static string LowerName(ZoneId id)
    {
        switch (id)
        {
            case ZoneId.Dma: return "dma";
            case ZoneId.Dma32: return "dma32";
            default: return "normal";
        }
    }
}
