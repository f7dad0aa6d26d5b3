using Kernel.Drivers;
using Kernel.Tasks;

namespace Kernel.Shell;

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

    public static unsafe void Initialize(ShellCommand[] commands)
    {
        s_commands = commands;
        s_line = new CommandLine();
        InputQueue.SetReaderWakeup(&WakeShell);
    }

    public static void Run()
    {
        Console.WriteLine("shell ready");
        while (true)
        {
            ReportEndedChildren();
            Console.Write(Prompt, ConsoleColor.LightGreen);
            ReadLine(s_line);
            Execute(s_line);
        }
    }

    // Input arrives in interrupt handlers; the shell's thread sleeps until then.
    private static void WakeShell()
    {
        if (ProcessManager.Shell != null && ProcessManager.Shell.Thread != null)
        {
            Scheduler.Wake(ProcessManager.Shell.Thread);
        }
    }

    /// <summary>Prints the closing line of every program run in the background that has ended, and forgets it.</summary>
    public static bool ReportEndedChildren()
    {
        bool any = false;
        Process next;
        for (Process p = ProcessTable.First; p != null; p = next)
        {
            next = p.NextInTable;
            if (p.Parent == ProcessManager.Shell && p.State == ProcessState.Zombie)
            {
                ProcessManager.WriteClosingLine(p);
                ProcessManager.Reap(p);
                any = true;
            }
        }
        return any;
    }

    /// <summary>
    /// The next character typed, sleeping until there is one; <see cref="InputQueue.Interrupt"/> for Ctrl-C,
    /// and '\0' when a background program ended meanwhile (the line editor then reports it and redraws).
    /// </summary>
    private static char ReadInput()
    {
        while (true)
        {
            if (InputQueue.TakeInterrupt())
            {
                return InputQueue.Interrupt;
            }
            if (InputQueue.TryPop(out char c))
            {
                return c;
            }
            if (HasEndedChild())
            {
                return '\0';
            }
            Scheduler.Block();
        }
    }

    private static bool HasEndedChild()
    {
        for (Process p = ProcessTable.First; p != null; p = p.NextInTable)
        {
            if (p.Parent == ProcessManager.Shell && p.State == ProcessState.Zombie)
            {
                return true;
            }
        }
        return false;
    }

    public static void Execute(CommandLine line)
    {
        if (line.Overflowed)
        {
            Console.Write(line.TooLong ? "line too long: at most " : "too many words: at most ");
            Console.WriteDecimal((ulong)(line.TooLong ? CommandLine.MaxLength - 1 : CommandLine.MaxWords));
            Console.WriteLine(line.TooLong ? " characters; nothing was run" : " words; nothing was run");
            return;
        }
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
        bool dropped = false;
        EscapeState escape = EscapeState.None;
        while (true)
        {
            char c = ReadInput();
            if (c == '\0')
            {
                // A background program ended while this line was being typed: report it, then redraw.
                Console.WriteLine();
                ReportEndedChildren();
                Console.Write(Prompt, ConsoleColor.LightGreen);
                for (int i = 0; i < length; i++)
                {
                    Console.Write(buffer[i]);
                }
                continue;
            }
            if (c == InputQueue.Interrupt)
            {
                Console.WriteLine("^C");
                line.SetLength(0);
                return;
            }
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
                    line.SetLength(length, dropped);
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
                    dropped = false;
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
                    if (c >= ' ' && c < Delete)
                    {
                        if (length < CommandLine.MaxLength - 1)
                        {
                            buffer[length++] = c;
                            Console.Write(c);
                        }
                        else
                        {
                            dropped = true;
                        }
                    }
                    break;
            }
        }
    }
}
