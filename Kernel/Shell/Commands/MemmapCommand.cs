using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Mem.Physical;

namespace Kernel.Shell.Commands;

/// <summary>Prints the firmware memory map as GRUB passed it, in the style of Linux's e820 log lines.</summary>
internal sealed unsafe class MemmapCommand : ShellCommand
{
    public override string Name => "memmap";

    public override string Summary => "the multiboot2 memory map and totals";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        ulong usable = 0;
        ulong reserved = 0;
        int count = Multiboot.MemoryMapCount;
        for (int i = 0; i < count; i++)
        {
            Multiboot.MemoryMapEntry* entry = Multiboot.GetMemoryMapEntry(i);
            if (entry->Length == 0)
            {
                continue;
            }
            Console.Write("[mem ");
            Console.WriteHex(entry->Base);
            Console.Write("-");
            Console.WriteHex(entry->Base + entry->Length - 1);
            Console.Write("] ");
            MemoryRegionKind kind = MemoryMap.KindOfMultibootType(entry->Type);
            Console.WriteLine(MemoryRegion.NameOf(kind));
            if (kind == MemoryRegionKind.Usable)
            {
                usable += entry->Length;
            }
            else
            {
                reserved += entry->Length;
            }
        }
        Console.Write("regions: ");
        Console.WriteDecimal((ulong)count);
        Console.Write(", usable: ");
        WriteSize(usable);
        Console.Write(", reserved: ");
        WriteSize(reserved);
        Console.WriteLine();
    }

    private static void WriteSize(ulong bytes)
    {
        Console.WriteDecimal(bytes / 1024);
        Console.Write(" KiB (");
        Console.WriteDecimal(bytes >> 20);
        Console.Write(" MiB)");
    }
}
