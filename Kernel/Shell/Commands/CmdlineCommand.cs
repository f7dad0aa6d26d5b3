using Kernel.Boot;
using Kernel.Drivers;

namespace Kernel.Shell.Commands;

internal sealed unsafe class CmdlineCommand : ShellCommand
{
    public override string Name => "cmdline";

    public override string Summary => "the kernel command line and boot loader";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        Console.Write("command line: ");
        Console.WriteAscii(Multiboot.CommandLine, 1024);
        Console.WriteLine();
        Console.Write("boot loader:  ");
        Console.WriteAscii(Multiboot.BootLoaderName, 128);
        Console.WriteLine();
        Console.Write("modules:      ");
        Console.WriteDecimal((ulong)Multiboot.ModuleCount);
        Console.WriteLine();
        for (int i = 0; i < Multiboot.ModuleCount; i++)
        {
            Multiboot.Module* module = Multiboot.GetModule(i);
            Console.Write("  ");
            Console.WriteHex(module->Start);
            Console.Write("-");
            Console.WriteHex(module->End);
            Console.Write(" ");
            Console.WriteAscii(module->Name, 128);
            Console.WriteLine();
        }
    }
}
