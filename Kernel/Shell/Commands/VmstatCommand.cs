using Kernel.Drivers;
using Kernel.Mem.Replacement;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Shell.Commands;

/// <summary>
/// Page replacement at a glance: per process its faults, page-ins, page-outs, writes avoided, page-file slots
/// held, working-set size, capacity, policy and hand; then the totals since boot (ended processes included)
/// and the free frames.
/// </summary>
internal sealed class VmstatCommand : ShellCommand
{
    public override string Name => "vmstat";

    public override string Summary => "paging per process and in total: faults, page-ins/outs, writes avoided, slots, working sets";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        Console.Write("page file: ");
        Console.WriteLine(KernelPageStore.Available ? "in use" : "none (out of memory ends the faulting process)");
        Console.WriteLine("  PID  NAME        FAULTS  PAGE-INS PAGE-OUTS  AVOIDED  SLOTS         WS/MAX  POLICY   HAND");
        PagingCounters total = ProcessManager.Ended;
        ulong slots = 0;
        for (Process p = ProcessTable.First; p != null; p = p.NextInTable)
        {
            if (p.IsKernelTask)
            {
                continue;
            }
            PagingCounters counters = PagingCounters.Of(p);
            if (p.State == ProcessState.Live)
            {
                total.Add(counters);
                slots += counters.SlotsHeld;
            }
            Console.WriteDecimal((ulong)p.Pid, 5);
            Console.Write("  ");
            Console.WritePadded(p.Name, 10);
            Write(counters);
            WorkingSet set = p.AddressSpace?.WorkingSet;
            Console.Write("  ");
            if (set != null)
            {
                // "count/capacity" right-aligned as one field, so a full default set (262144) keeps the columns.
                int width = Console.DecimalDigits((ulong)set.Count) + 1 + Console.DecimalDigits((ulong)set.Capacity);
                for (int i = width; i < WorkingSetWidth; i++)
                {
                    Console.Write(' ');
                }
                Console.WriteDecimal((ulong)set.Count);
                Console.Write("/");
                Console.WriteDecimal((ulong)set.Capacity);
                Console.Write("  ");
                Console.WritePadded(SpawnOptions.NameOf(set.Policy), 9);
                Console.WriteDecimal((ulong)set.Hand);
            }
            else
            {
                Console.Write("            -  -");
            }
            Console.WriteLine();
        }
        Console.Write("    -  total     ");
        total.SlotsHeld = slots;
        Write(total);
        Console.WriteLine();
        Console.Write("free frames ");
        Console.WriteDecimal(MemoryManager.Frames.FreeFrames);
        Console.WriteLine();
    }

    private static void Write(PagingCounters counters)
    {
        Console.WriteDecimal(counters.Faults, 8);
        Console.WriteDecimal(counters.PageIns, 10);
        Console.WriteDecimal(counters.PageOuts, 10);
        Console.WriteDecimal(counters.WritesAvoided, 9);
        Console.WriteDecimal(counters.SlotsHeld, 7);
    }

    // "count/capacity" of a working set: 262144/262144 at the default limit.
    private const int WorkingSetWidth = 13;
}
