using Kernel.Arch;

namespace Kernel.Shell.Commands;

internal sealed class RebootCommand : ShellCommand
{
    public override string Name => "reboot";

    public override string Summary => "reset the machine";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        Power.Reboot();
    }
}
