using Kernel.Drivers;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Shell.Commands;

/// <summary>
/// Walks the page tables for one virtual address, the kernel's or a user process's (whose lower half is
/// its own), and prints each level's entry with its flags, or where the walk stops (the first non-present entry).
/// </summary>
internal sealed class VmCommand : ShellCommand
{
    public override string Name => "vm";

    public override string Arguments => "[PID] ADDR";

    public override string Summary => "walk the page tables (the kernel's, or process PID's) for a virtual address";

    public override void Execute(CommandLine line)
    {
        ulong pid = 0;
        if ((line.Count != 2 && line.Count != 3) || !line.TryParseNumber(line.Count - 1, out ulong address)
            || (line.Count == 3 && !line.TryParseNumber(1, out pid)))
        {
            PrintUsage();
            return;
        }
        Mapper<KernelPhysicalMemory, KernelTlb> mapper = MemoryManager.Mapper;
        if (line.Count == 3)
        {
            Process process = ProcessTable.Find((long)pid);
            if (process == null || process.AddressSpace == null)
            {
                Console.Write("vm: no running user process ");
                Console.WriteDecimal(pid);
                Console.WriteLine();
                return;
            }
            mapper = process.AddressSpace.Mapper;
        }
        PagingStatus status = mapper.Walk(address, out PageWalk walk);
        Console.Write("vm ");
        Console.WriteHex(address);
        if (status == PagingStatus.NonCanonicalAddress)
        {
            Console.WriteLine(": not a canonical address (bits 63..47 must all equal bit 47)");
            return;
        }
        Console.Write(": PML4[");
        Console.WriteDecimal((ulong)VirtualAddressLayout.TableIndex(address, PageTableLevel.Pml4));
        Console.Write("] PDPT[");
        Console.WriteDecimal((ulong)VirtualAddressLayout.TableIndex(address, PageTableLevel.Pdpt));
        Console.Write("] PD[");
        Console.WriteDecimal((ulong)VirtualAddressLayout.TableIndex(address, PageTableLevel.PageDirectory));
        Console.Write("]");
        // A 2 MiB or 1 GiB page ends the walk above the page table: the low bits are all page offset.
        bool largePage = walk.IsMapped && walk.StoppedAt != PageTableLevel.PageTable;
        if (!largePage)
        {
            Console.Write(" PT[");
            Console.WriteDecimal((ulong)VirtualAddressLayout.TableIndex(address, PageTableLevel.PageTable));
            Console.Write("]");
        }
        Console.Write(" offset ");
        Console.WriteHex(address & (largePage ? VirtualAddressLayout.BytesIn(walk.Size) - 1 : 0xFFF), largePage ? 8 : 3);
        Console.WriteLine();
        for (PageTableLevel level = PageTableLevel.Pml4; level >= walk.StoppedAt; level--)
        {
            // Bit 7 is PS (a large page) in a PDPTE/PDE that maps, and PAT in a PTE.
            WriteEntry(LevelName(level), walk.EntryAt(level), level == walk.StoppedAt && level != PageTableLevel.PageTable && walk.IsMapped);
            if (level == PageTableLevel.PageTable)
            {
                break;
            }
        }
        if (!walk.IsMapped)
        {
            Console.Write("not mapped: the walk stops at the ");
            Console.Write(LevelName(walk.StoppedAt));
            Console.WriteLine(walk.LastEntry.IsReservation ? " (entry holds reservation marks only)" : " (entry not present)");
            if (line.Count == 2 && address < UserLayout.End)
            {
                // The kernel's own tables have nothing in the lower half: each program has its own.
                Console.WriteLine("(a user address: 'vm PID ADDR' walks that process's page tables)");
            }
            return;
        }
        mapper.Translate(address, out Translation translation);
        Console.Write("-> physical ");
        Console.WriteHex(translation.PhysicalAddress);
        Console.Write(walk.Size == PageSize.Size4KiB ? " (4 KiB page)" : walk.Size == PageSize.Size2MiB ? " (2 MiB page)" : " (1 GiB page)");
        Console.WriteLine();
    }

    private static string LevelName(PageTableLevel level)
    {
        switch (level)
        {
            case PageTableLevel.Pml4: return "PML4E";
            case PageTableLevel.Pdpt: return "PDPTE";
            case PageTableLevel.PageDirectory: return "PDE";
            default: return "PTE";
        }
    }

    private static void WriteEntry(string name, PageTableEntry entry, bool leaf)
    {
        Console.Write("  ");
        Console.WritePadded(name, 6);
        Console.WriteHex(entry.Value);
        if (!entry.IsPresent)
        {
            Console.Write(entry.IsEmpty ? " empty (not present)" : " not present");
            if (entry.IsUserHeapReserved)
            {
                Console.Write(" UHPAGE");
            }
            if (entry.IsGuard)
            {
                Console.Write(" GUARD");
            }
            Console.WriteLine();
            return;
        }
        Console.Write(" P");
        Console.Write(entry.IsWritable ? " W" : " R");
        Console.Write(entry.IsUser ? " U" : " S");
        if (entry.IsWriteThrough) { Console.Write(" PWT"); }
        if (entry.IsCacheDisabled) { Console.Write(" PCD"); }
        if (entry.IsAccessed) { Console.Write(" A"); }
        if (entry.IsDirty) { Console.Write(" D"); }
        if (leaf && entry.IsHuge) { Console.Write(" PS"); }
        if (entry.IsGlobal) { Console.Write(" G"); }
        Console.Write(entry.IsNoExecute ? " NX" : " X");
        if (entry.IsUserHeapReserved) { Console.Write(" UHPAGE"); }
        if (entry.IsGuard) { Console.Write(" GUARD"); }
        Console.WriteLine();
    }
}
