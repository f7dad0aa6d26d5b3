using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Kernel.Tasks;

namespace Kernel.Shell.Commands;

/// <summary>
/// A process's user heap as the kernel sees it: its figures, then the runs of pages in the heap and the
/// runtime region that are reserved (UHPAGE) and of those that hold a frame, read from its page tables.
/// </summary>
internal sealed class UheapCommand : ShellCommand
{
    private const int MaxRuns = 32;

    public override string Name => "uheap";

    public override string Arguments => "PID";

    public override string Summary => "a process's heap reservations and resident pages, from its page tables";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 2 || !line.TryParseNumber(1, out ulong pid))
        {
            PrintUsage();
            return;
        }
        Process process = ProcessTable.Find((long)pid);
        if (process == null || process.AddressSpace == null)
        {
            Console.Write("uheap: no running user process ");
            Console.WriteDecimal(pid);
            Console.WriteLine();
            return;
        }
        UserAddressSpace<Memory.KernelPhysicalMemory, Memory.KernelTlb> space = process.AddressSpace;
        Console.Write("process ");
        Console.WriteDecimal(pid);
        Console.Write(" (");
        Console.Write(process.Name);
        Console.Write("): heap ");
        Console.WriteDecimal(space.HeapReservedPages);
        Console.Write(" pages reserved, ");
        Console.WriteDecimal(space.HeapResidentPages);
        Console.Write(" resident; ");
        Console.WriteDecimal(space.ResidentPages);
        Console.Write(" frames in all, ");
        Console.WriteDecimal(space.TableFrames);
        Console.Write(" page tables, ");
        Console.WriteDecimal(process.PageFaults);
        Console.WriteLine(" faults");
        Console.WriteLine("  range                                       pages  state     region");
        WriteRuns(space.Mapper, UserLayout.HeapBase, UserLayout.RuntimeRegionBase + UserLayout.RuntimeRegionSize);
    }

    /// <summary>Merges neighbouring pages of the same state into runs and prints each.</summary>
    private static void WriteRuns(Mapper<Memory.KernelPhysicalMemory, Memory.KernelTlb> mapper, ulong start, ulong end)
    {
        ulong cursor = start;
        ulong runStart = 0;
        ulong runEnd = 0;
        int runState = 0;
        int runs = 0;
        int hidden = 0;
        while (mapper.NextEntry(ref cursor, end, out ulong page, out PageTableEntry entry))
        {
            int state = StateOf(entry);
            if (runEnd == page && state == runState)
            {
                runEnd = page + MemConstants.PageSize;
                continue;
            }
            if (runEnd != 0)
            {
                if (runs++ < MaxRuns)
                {
                    WriteRun(runStart, runEnd, runState);
                }
                else
                {
                    hidden++;
                }
            }
            runStart = page;
            runEnd = page + MemConstants.PageSize;
            runState = state;
        }
        if (runEnd != 0)
        {
            if (runs++ < MaxRuns)
            {
                WriteRun(runStart, runEnd, runState);
            }
            else
            {
                hidden++;
            }
        }
        if (runs == 0)
        {
            Console.WriteLine("  (nothing reserved)");
        }
        if (hidden > 0)
        {
            Console.Write("  ... ");
            Console.WriteDecimal((ulong)hidden);
            Console.WriteLine(" more runs");
        }
    }

    // A page's state: reserved and never touched (or given back), resident, resident and locked by mlockall,
    // or in the page file.
    private static string NameOf(int state)
    {
        switch (state)
        {
            case 1:
                return "resident";
            case 2:
                return "locked  ";
            case 3:
                return "swapped ";
            default:
                return "reserved";
        }
    }

    private static int StateOf(PageTableEntry entry)
    {
        if (entry.IsPresent)
        {
            return entry.IsPinned ? 2 : 1;
        }
        return entry.IsSwapped ? 3 : 0;
    }

    private static void WriteRun(ulong start, ulong end, int state)
    {
        Console.Write("  ");
        Console.WriteHex(start);
        Console.Write("-");
        Console.WriteHex(end);
        Console.WriteDecimal((end - start) / MemConstants.PageSize, 8);
        Console.Write("  ");
        Console.Write(NameOf(state));
        Console.Write("  ");
        Console.WriteLine(RegionOf(start));
    }

    private static string RegionOf(ulong address)
    {
        if (address >= UserLayout.RuntimeRegionBase)
        {
            return address < UserLayout.HeapMetadataBase ? "runtime objects" : "heap metadata";
        }
        return address < UserLayout.HeapBase + UserLayout.BlockAreaSize ? "block area" : "page area";
    }
}
