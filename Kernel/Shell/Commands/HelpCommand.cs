using Kernel.Drivers;

namespace Kernel.Shell.Commands;

internal sealed class HelpCommand : ShellCommand
{
    public override string Name => "help";

    private const int SynopsisWidth = 28;

    public override string Summary => "list the commands";

    public override void Execute(CommandLine line)
    {
        ShellCommand[] commands = Shell.Commands;
        for (int i = 0; i < commands.Length; i++)
        {
            ShellCommand command = commands[i];
            Console.Write("  ");
            Console.Write(command.Name, ConsoleColor.Yellow);
            int width = command.Name.Length;
            if (command.Arguments.Length != 0)
            {
                Console.Write(" ");
                Console.Write(command.Arguments);
                width += 1 + command.Arguments.Length;
            }
            // Keep every line within the 80-column VGA screen: a long synopsis gets the summary below it.
            if (width > SynopsisWidth)
            {
                Console.WriteLine();
                Console.Write("  ");
                width = 0;
            }
            for (int pad = width; pad < SynopsisWidth; pad++)
            {
                Console.Write(' ');
            }
            Console.Write(" ");
            Console.WriteLine(command.Summary);
        }
    }
}
