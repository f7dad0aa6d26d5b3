using System;

namespace UserRuntime
{
    /// <summary>
    /// The report of a test program: one line per check, "PROGRAM: ok   name" or "PROGRAM: FAIL name: details",
    /// then "PROGRAM: N checks, M failed"; the program exits with 0 only when nothing failed, which is what the
    /// kernel's suites and the boot tests look at.
    /// </summary>
    public static class TestLog
    {
        private static string s_program;
        private static int s_checks;
        private static int s_failures;

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

        /// <summary>Prints the closing line; returns the exit status (0 when every check passed).</summary>
        public static int End()
        {
            Console.Write(s_program);
            Console.Write(": ");
            Console.Write(s_checks);
            Console.Write(" checks, ");
            Console.Write(s_failures);
            Console.WriteLine(" failed");
            return s_failures == 0 ? 0 : 1;
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
}
