using Kernel.Drivers;
using Kernel.Shell;

namespace Kernel.SelfTest;

/// <summary>
/// Runs all suites or one, and prints the closing <c>selftest: N passed, N failed</c> line. Around every
/// suite it snapshots the free frames, the kernel heap and the pebble allocator and checks that the
/// suite left them as it found them (<c>suite.no_leak</c>), as xv6's usertests count free pages.
/// </summary>
internal static class SelfTestRunner
{
    private static SelfTestSuite[] s_suites;

    public static void Initialize(SelfTestSuite[] suites) => s_suites = suites;

    public static bool HasSuite(CommandLine line) => Find(line) != null;

    private static SelfTestSuite Find(CommandLine line)
    {
        for (int i = 0; i < s_suites.Length; i++)
        {
            if (line.WordIs(1, s_suites[i].Name))
            {
                return s_suites[i];
            }
        }
        return null;
    }

    public static void WriteSuiteNames()
    {
        for (int i = 0; i < s_suites.Length; i++)
        {
            Console.Write(" ");
            Console.Write(s_suites[i].Name);
        }
    }

    /// <summary>Runs the suite named by word 1 of <paramref name="line"/>, or every suite when null.</summary>
    public static int Run(CommandLine line)
    {
        TestContext test = new TestContext();
        SelfTestSuite only = line == null ? null : Find(line);
        for (int i = 0; i < s_suites.Length; i++)
        {
            if (only != null && s_suites[i] != only)
            {
                continue;
            }
            test.BeginSuite(s_suites[i].Name);
            s_suites[i].WarmUp();
            MemorySnapshot before = MemorySnapshot.Take();
            s_suites[i].Run(test);
            test.CheckNoLeak(before, MemorySnapshot.Take());
        }
        Console.Write("selftest: ");
        Console.WriteDecimal((ulong)test.Passed);
        Console.Write(" passed, ");
        Console.WriteDecimal((ulong)test.Failed);
        Console.WriteLine(" failed");
        int failed = test.Failed;
        Memory.ObjectAllocator.Free(test);
        return failed;
    }
}
