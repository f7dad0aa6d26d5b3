using Kernel.Abi;
using Kernel.Drivers;
using Kernel.Tasks;

namespace Kernel.Shell.Commands;

/// <summary>Ends a user process. For the shell's own children it waits for the end and prints the closing line.</summary>
internal sealed class KillCommand : ShellCommand
{
    public override string Name => "kill";

    public override string Arguments => "PID";

    public override string Summary => "end a user process";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 2 || !line.TryParseNumber(1, out ulong pid))
        {
            PrintUsage();
            return;
        }
        Process target = ProcessTable.Find((long)pid);
        if (target == null || target.State != ProcessState.Live)
        {
            Console.Write("kill: no running process ");
            Console.WriteDecimal(pid);
            Console.WriteLine();
            return;
        }
        if (target.IsKernelTask)
        {
            Console.Write("kill: process ");
            Console.WriteDecimal(pid);
            Console.Write(" (");
            Console.Write(target.Name);
            Console.WriteLine(") is part of the kernel");
            return;
        }
        if (ProcessManager.RequestKill(target, Signal.SIGKILL, out ReasonBuilder reason))
        {
            reason.Text("by request");
        }
        if (target.Parent != ProcessManager.Shell)
        {
            // Its parent collects it and learns the reason; the shell must not free the record under it.
            Console.Write("kill: process ");
            Console.WriteDecimal(pid);
            Console.WriteLine(" asked to end (its parent reports it)");
            return;
        }
        while (target.State != ProcessState.Zombie)
        {
            Scheduler.Block();
        }
        ProcessManager.WriteClosingLine(target);
        ProcessManager.Reap(target);
    }
}
