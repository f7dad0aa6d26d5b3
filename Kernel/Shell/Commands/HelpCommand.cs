using Kernel.Drivers;

namespace Kernel.Shell.Commands
{
    internal sealed class HelpCommand : ShellCommand
    {
        public override string Name => "help";

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
                for (int pad = width; pad < 28; pad++)
                {
                    Console.Write(' ');
                }
                Console.Write(" ");
                Console.WriteLine(command.Summary);
            }
        }
    }
}
