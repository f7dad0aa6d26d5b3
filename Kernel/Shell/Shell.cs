using Kernel.Drivers;

namespace Kernel.Shell
{
    /// <summary>
    /// The interactive shell, fed by the PS/2 keyboard and COM1 alike. Lines are edited in place
    /// (backspace/delete erase, Ctrl-U clears the line); Enter runs the command. Unknown commands print
    /// a hint; bad arguments print the command's usage.
    /// </summary>
    internal static class Shell
    {
        private const string Prompt = "kernel> ";
        private const char Backspace = '\b';
        private const char Delete = '\u007f';
        private const char ClearLine = '\u0015';
        private const char Escape = '\u001b';

        // Bytes of a control sequence after ESC [: parameters and intermediates, then the final byte.
        private const char SequenceParameterFirst = ' ';
        private const char SequenceParameterLast = '?';
        private const char SequenceFinalFirst = '@';
        private const char SequenceFinalLast = '~';

        private static ShellCommand[] s_commands;
        private static CommandLine s_line;
        private static bool s_lastWasCarriageReturn;

        public static ShellCommand[] Commands => s_commands;

        public static void Initialize(ShellCommand[] commands)
        {
            s_commands = commands;
            s_line = new CommandLine();
        }

        public static void Run()
        {
            Console.WriteLine("shell ready");
            while (true)
            {
                Console.Write(Prompt, ConsoleColor.LightGreen);
                ReadLine(s_line);
                Execute(s_line);
            }
        }

        public static void Execute(CommandLine line)
        {
            if (line.Count == 0)
            {
                return;
            }
            for (int i = 0; i < s_commands.Length; i++)
            {
                if (line.WordIs(0, s_commands[i].Name))
                {
                    s_commands[i].Execute(line);
                    return;
                }
            }
            Console.Write("unknown command: ");
            line.WriteWord(0);
            Console.WriteLine(" (type 'help' for the list of commands)");
        }

        /// <summary>
        /// Whether <paramref name="c"/> belongs to the terminal escape sequence in progress and is dropped: arrow
        /// and function keys send ESC [ (or ESC O), parameter bytes, then one final byte (ECMA-48, 5.4). Anything
        /// else ends the sequence and is read as typed, so ESC then Enter still ends the line.
        /// </summary>
        private static bool SkipsEscapeSequence(ref EscapeState escape, char c)
        {
            if (escape == EscapeState.Escape && (c == '[' || c == 'O'))
            {
                escape = EscapeState.Sequence;
                return true;
            }
            if (escape == EscapeState.Sequence && c >= SequenceParameterFirst && c <= SequenceParameterLast)
            {
                return true;
            }
            bool final = escape == EscapeState.Sequence && c >= SequenceFinalFirst && c <= SequenceFinalLast;
            escape = EscapeState.None;
            return final;
        }

        private static void ReadLine(CommandLine line)
        {
            char[] buffer = line.Buffer;
            int length = 0;
            EscapeState escape = EscapeState.None;
            while (true)
            {
                char c = InputQueue.Read();
                bool afterCarriageReturn = s_lastWasCarriageReturn;
                s_lastWasCarriageReturn = c == '\r';
                if (c == '\n' && afterCarriageReturn)
                {
                    // A terminal that sends CR LF for Enter: the CR already ended the line.
                    continue;
                }
                if (escape != EscapeState.None && SkipsEscapeSequence(ref escape, c))
                {
                    continue;
                }
                switch (c)
                {
                    case '\r':
                    case '\n':
                        Console.WriteLine();
                        line.SetLength(length);
                        return;
                    case Backspace:
                    case Delete:
                        if (length > 0)
                        {
                            length--;
                            Console.Write('\b');
                            Console.Write(' ');
                            Console.Write('\b');
                        }
                        break;
                    case ClearLine:
                        while (length > 0)
                        {
                            length--;
                            Console.Write('\b');
                            Console.Write(' ');
                            Console.Write('\b');
                        }
                        break;
                    case Escape:
                        escape = EscapeState.Escape;
                        break;
                    default:
                        if (c >= ' ' && c < Delete && length < CommandLine.MaxLength - 1)
                        {
                            buffer[length++] = c;
                            Console.Write(c);
                        }
                        break;
                }
            }
        }
    }
}
