using Kernel.Arch;
using Kernel.Drivers;

namespace Kernel.Shell.Commands;

internal sealed class UptimeCommand : ShellCommand
{
    public override string Name => "uptime";

    public override string Summary => "time since boot (PIT ticks)";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        ulong ms = Pit.UptimeMilliseconds;
        ulong seconds = ms / 1000;
        Console.Write("up ");
        Console.WriteDecimal(seconds / 3600);
        Console.Write(":");
        WriteTwoDigits((seconds / 60) % 60);
        Console.Write(":");
        WriteTwoDigits(seconds % 60);
        Console.Write(".");
        ulong fraction = ms % 1000;
        if (fraction < 100)
        {
            Console.Write('0');
        }
        if (fraction < 10)
        {
            Console.Write('0');
        }
        Console.WriteDecimal(fraction);
        Console.Write(" (");
        Console.WriteDecimal(Pit.Ticks);
        Console.Write(" ticks at ");
        Console.WriteDecimal((ulong)Pit.TickHz);
        Console.WriteLine(" Hz)");
    }

    private static void WriteTwoDigits(ulong value)
    {
        if (value < 10)
        {
            Console.Write('0');
        }
        Console.WriteDecimal(value);
    }
}
