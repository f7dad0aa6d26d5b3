using Kernel.Drivers;

namespace Kernel.Shell.Commands;

/// <summary>Prints its arguments, one space apart: marks in a pasted script, and a way to test the input path.</summary>
internal sealed class EchoCommand : ShellCommand
{
    public override string Name => "echo";

    public override string Arguments => "[WORD...]";

    public override string Summary => "print the words that follow";

    public override void Execute(CommandLine line)
    {
        for (int i = 1; i < line.Count; i++)
        {
            if (i > 1)
            {
                Console.Write(' ');
            }
            line.WriteWord(i);
        }
        Console.WriteLine();
    }
}
