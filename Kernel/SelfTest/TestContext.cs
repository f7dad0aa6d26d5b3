using Kernel.Drivers;

namespace Kernel.SelfTest;

/// <summary>
/// Records the outcome of each check of a suite in the contract the boot tests read:
/// <c>[PASS] suite.name</c> or <c>[FAIL] suite.name: reason</c>.
/// </summary>
internal sealed class TestContext
{
    private string _suite;

    public int Passed { get; private set; }

    public int Failed { get; private set; }

    public void BeginSuite(string suite) => _suite = suite;

    public bool Check(bool condition, string name, string reason)
    {
        if (condition)
        {
            Passed++;
            Console.Write("[PASS] ", ConsoleColor.LightGreen);
            Console.Write(_suite);
            Console.Write(".");
            Console.WriteLine(name);
        }
        else
        {
            Failed++;
            Console.Write("[FAIL] ", ConsoleColor.LightRed);
            Console.Write(_suite);
            Console.Write(".");
            Console.Write(name);
            Console.Write(": ");
            Console.WriteLine(reason);
        }
        return condition;
    }

    /// <summary>
    /// Compares what a suite left behind with the snapshot taken before it: <c>[PASS] suite.no_leak</c>,
    /// or <c>[FAIL] suite.no_leak: </c> and every figure that moved, as "name before -> after".
    /// </summary>
    public bool CheckNoLeak(MemorySnapshot before, MemorySnapshot after)
    {
        const string Name = "no_leak";
        if (before.Equals(after))
        {
            return Check(true, Name, null);
        }
        Failed++;
        Console.Write("[FAIL] ", ConsoleColor.LightRed);
        Console.Write(_suite);
        Console.Write(".");
        Console.Write(Name);
        Console.Write(": ");
        before.WriteDifferences(after);
        Console.WriteLine();
        return false;
    }

    /// <summary>Checks that two numbers are equal, printing both on failure.</summary>
    public bool CheckEqual(ulong expected, ulong actual, string name)
    {
        if (expected == actual)
        {
            return Check(true, name, null);
        }
        Failed++;
        Console.Write("[FAIL] ", ConsoleColor.LightRed);
        Console.Write(_suite);
        Console.Write(".");
        Console.Write(name);
        Console.Write(": expected ");
        Console.WriteDecimal(expected);
        Console.Write(" (");
        Console.WriteHex(expected);
        Console.Write("), got ");
        Console.WriteDecimal(actual);
        Console.Write(" (");
        Console.WriteHex(actual);
        Console.WriteLine(")");
        return false;
    }
}
