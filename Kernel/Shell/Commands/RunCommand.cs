using Kernel.Abi;
using Kernel.Drivers;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Shell.Commands;

/// <summary>
/// Runs a program shipped in the ISO in ring 3, in the foreground (the shell waits; Ctrl-C kills it) or,
/// with a trailing <c>&amp;</c>, in the background. Either way exactly one closing line reports its end.
/// </summary>
internal sealed unsafe class RunCommand : ShellCommand
{
    public override string Name => "run";

    public override string Arguments => "[-ws PAGES] [-policy clock|modclock|lru] [NAME [ARGS...] [&]]";

    public override string Summary => "run a user program (no name: list them); & in the background; -ws/-policy: its working set";

    public override void Execute(CommandLine line)
    {
        if (line.Count == 1)
        {
            Console.Write("programs: ");
            ProgramImages.WriteNames();
            Console.WriteLine();
            return;
        }
        bool background = line.WordIs(line.Count - 1, "&");
        int words = background ? line.Count - 1 : line.Count;
        SpawnOptions options = SpawnOptions.Default;
        int first = 1;
        if (!ParseOptions(line, ref first, words, ref options))
        {
            PrintUsage();
            return;
        }
        if (first >= words)
        {
            PrintUsage();
            return;
        }
        if (first > 1 && !KernelPageStore.Available)
        {
            // Without a page file a program has no working set, so the options would be dropped in silence.
            Console.WriteLine("run: no page file, so -ws and -policy have no effect (out of memory ends the program)");
        }
        int count = words - first;
        byte* text = stackalloc byte[CommandLine.MaxLength];
        byte** arguments = stackalloc byte*[CommandLine.MaxWords];
        ulong* lengths = stackalloc ulong[CommandLine.MaxWords];
        int used = 0;
        for (int i = 0; i < count; i++)
        {
            int start = line.WordStart(i + first);
            int length = line.WordLength(i + first);
            arguments[i] = text + used;
            lengths[i] = (ulong)length;
            for (int j = 0; j < length; j++)
            {
                char c = line.Buffer[start + j];
                text[used++] = (byte)(c < 0x80 ? c : '?');
            }
        }

        long status = ProcessManager.Spawn(arguments[0], (int)lengths[0], arguments, lengths, count, ProcessManager.Shell, options, out Process child, out ElfStatus image);
        if (status < 0)
        {
            ReportFailure(line, first, status, image);
            return;
        }
        if (background)
        {
            Console.Write("process ");
            Console.WriteDecimal((ulong)child.Pid);
            Console.Write(" (");
            Console.Write(child.Name);
            Console.WriteLine(") started");
            return;
        }
        WaitForeground(child);
    }

    /// <summary>Waits for the program to end, killing it on Ctrl-C, then prints its closing line and forgets it.</summary>
    private static void WaitForeground(Process child)
    {
        while (child.State != ProcessState.Zombie)
        {
            if (InputQueue.TakeInterrupt() && ProcessManager.RequestKill(child, Signal.SIGINT, out ReasonBuilder reason))
            {
                reason.Text("interrupted (Ctrl-C)");
            }
            Scheduler.Block();
        }
        ProcessManager.WriteClosingLine(child);
        ProcessManager.Reap(child);
    }

    /// <summary>Reads -ws PAGES and -policy NAME in any order from word <paramref name="first"/>, leaving it at the program's name.</summary>
    private static bool ParseOptions(CommandLine line, ref int first, int words, ref SpawnOptions options)
    {
        while (first + 1 < words)
        {
            if (line.WordIs(first, "-ws"))
            {
                if (!line.TryParseNumber(first + 1, out ulong pages) || pages < SpawnOptions.MinimumWorkingSetPages || pages > SpawnOptions.MaximumWorkingSetPages)
                {
                    Console.Write("run: -ws takes a number of pages from ");
                    Console.WriteDecimal((ulong)SpawnOptions.MinimumWorkingSetPages);
                    Console.Write(" to ");
                    Console.WriteDecimal((ulong)SpawnOptions.MaximumWorkingSetPages);
                    Console.WriteLine();
                    return false;
                }
                options.WorkingSetPages = (int)pages;
            }
            else if (line.WordIs(first, "-policy"))
            {
                fixed (char* word = &line.Buffer[line.WordStart(first + 1)])
                {
                    if (!SpawnOptions.TryParsePolicy(word, line.WordLength(first + 1), out options.Policy))
                    {
                        Console.WriteLine("run: -policy is clock, modclock or lru");
                        return false;
                    }
                }
            }
            else
            {
                return true;
            }
            first += 2;
        }
        return !line.WordIs(first, "-ws") && !line.WordIs(first, "-policy");
    }

    private static void ReportFailure(CommandLine line, int nameWord, long status, ElfStatus image)
    {
        Console.Write("run: cannot run ");
        line.WriteWord(nameWord);
        Console.Write(": ");
        switch (-status)
        {
            case Errno.ENOENT:
                Console.WriteLine("no such program (type 'run' for the list)");
                break;
            case Errno.ENOEXEC:
                Console.Write("not a valid program: ");
                Console.WriteLine(ElfImage.Describe(image));
                break;
            case Errno.E2BIG:
                Console.WriteLine("the arguments are too long");
                break;
            case Errno.EAGAIN:
                Console.WriteLine("too many processes");
                break;
            default:
                Console.WriteLine("out of memory");
                break;
        }
    }
}
