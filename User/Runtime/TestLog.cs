using System;

namespace UserRuntime;

/// <summary>
/// The report of a test program: one line per check, "PROGRAM: ok   name" or "PROGRAM: FAIL name: details"
/// (or "PROGRAM: skip name: reason" for a check this machine cannot run), then "PROGRAM: N checks, M failed"
/// (", K skipped" when any was). The program exits with 0 only when every check ran and passed, which is what
/// the kernel's suites and the boot tests look at: 1 when one failed, 2 when one could not run.
/// </summary>
public static class TestLog
{
    private static string s_program;
    private static int s_checks;
    private static int s_failures;
    private static int s_skipped;

    /// <summary>The exit status of a program one of whose checks could not run on this machine.</summary>
    public const int SkippedStatus = 2;

    public static int Failures => s_failures;

    public static void Begin(string program) => s_program = program;

    public static bool Check(bool ok, string name, string details = null)
    {
        s_checks++;
        Console.Write(s_program);
        Console.Write(ok ? ": ok   " : ": FAIL ");
        Console.Write(name);
        if (!ok)
        {
            s_failures++;
            if (details != null)
            {
                Console.Write(": ");
                Console.Write(details);
            }
        }
        Console.WriteLine();
        return ok;
    }

    /// <summary>
    /// A check this machine cannot run (say why): neither a pass nor a failure, so the program's exit status
    /// says it was not run.
    /// </summary>
    public static void Skip(string name, string reason)
    {
        s_checks++;
        s_skipped++;
        Console.Write(s_program);
        Console.Write(": skip ");
        Console.Write(name);
        Console.Write(": ");
        Console.WriteLine(reason);
    }

    /// <summary>Checks that two numbers are equal; on failure both are printed (in hexadecimal when large).</summary>
    public static bool Equal(ulong expected, ulong actual, string name)
    {
        bool ok = expected == actual;
        Check(ok, name, null);
        if (!ok)
        {
            Console.Write("    expected ");
            Write(expected);
            Console.Write(", got ");
            Write(actual);
            Console.WriteLine();
        }
        return ok;
    }

    /// <summary>Prints the closing line; returns the exit status (0 when every check ran and passed).</summary>
    public static int End()
    {
        Console.Write(s_program);
        Console.Write(": ");
        Console.Write(s_checks);
        Console.Write(" checks, ");
        Console.Write(s_failures);
        Console.Write(" failed");
        if (s_skipped != 0)
        {
            Console.Write(", ");
            Console.Write(s_skipped);
            Console.Write(" skipped");
        }
        Console.WriteLine();
        if (s_failures != 0)
        {
            return 1;
        }
        return s_skipped == 0 ? 0 : SkippedStatus;
    }

    private static void Write(ulong value)
    {
        if (value > 0xFFFFF)
        {
            Console.WriteHex(value);
        }
        else
        {
            Console.Write(value);
        }
    }
}
