using Kernel.Arch;

namespace Kernel.Shell.Commands;

internal sealed class CpuinfoCommand : ShellCommand
{
    public override string Name => "cpuinfo";

    public override string Summary => "processor identification and features (CPUID)";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        CpuFeatures.Print();
    }
}
