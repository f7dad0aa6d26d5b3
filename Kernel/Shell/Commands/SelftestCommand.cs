using Kernel.SelfTest;

namespace Kernel.Shell.Commands;

internal sealed class SelftestCommand : ShellCommand
{
    public override string Name => "selftest";

    public override string Arguments => "[suite]";

    public override string Summary => "run the in-kernel test suites";

    public override void Execute(CommandLine line)
    {
        if (line.Count > 2)
        {
            PrintUsage();
            return;
        }
        if (line.Count == 2 && !SelfTestRunner.HasSuite(line))
        {
            Drivers.Console.Write("selftest: no suite named ");
            line.WriteWord(1);
            Drivers.Console.Write(". Suites:");
            SelfTestRunner.WriteSuiteNames();
            Drivers.Console.WriteLine();
            return;
        }
        SelfTestRunner.Run(line.Count == 2 ? line : null);
    }
}
