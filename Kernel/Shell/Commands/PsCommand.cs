using Kernel.Drivers;
using Kernel.Tasks;

namespace Kernel.Shell.Commands;

/// <summary>
/// Lists every process: pid, name, state, the frames its user pages hold, its page-table frames, its
/// reserved heap pages (backed or not), its working set (with a page file), its page faults and the ticks it ran.
/// </summary>
internal sealed class PsCommand : ShellCommand
{
    public override string Name => "ps";

    public override string Summary => "list processes: frames, page tables, reserved heap pages, faults, ticks";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        Console.WriteLine("  PID  NAME          STATE     FRAMES  TABLES  RESERVED      WS  FAULTS     TICKS");
        for (Process p = ProcessTable.First; p != null; p = p.NextInTable)
        {
            Console.WriteDecimal((ulong)p.Pid, 5);
            Console.Write("  ");
            Console.WritePadded(p.Name, 12);
            Console.Write("  ");
            Console.WritePadded(StateOf(p), 8);
            if (p.AddressSpace != null)
            {
                Console.WriteDecimal(p.AddressSpace.ResidentPages, 8);
                Console.WriteDecimal(p.AddressSpace.TableFrames, 8);
                Console.WriteDecimal(p.AddressSpace.HeapReservedPages, 10);
                if (p.AddressSpace.WorkingSet != null)
                {
                    Console.WriteDecimal((ulong)p.AddressSpace.WorkingSet.Count, 8);
                }
                else
                {
                    Console.Write("       -");
                }
            }
            else
            {
                Console.Write("       -       -         -       -");
            }
            Console.WriteDecimal(p.PageFaults, 8);
            Console.WriteDecimal(p.CurrentTicks, 10);
            Console.WriteLine();
        }
    }

    private static string StateOf(Process p)
    {
        if (p.State == ProcessState.Zombie)
        {
            return "ended";
        }
        switch (p.Thread.State)
        {
            case ThreadState.Running:
                return "running";
            case ThreadState.Ready:
                return "ready";
            default:
                return "waiting";
        }
    }
}
