using Kernel.Arch;

namespace Kernel.Shell.Commands;

internal sealed class ShutdownCommand : ShellCommand
{
    public override string Name => "shutdown";

    public override string Summary => "power off (debug exit, else ACPI S5, else reset)";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        Power.Shutdown();
    }
}
