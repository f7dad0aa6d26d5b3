using System;
using UserRuntime;

/// <summary>The first program: proves it runs in ring 3, in its own process, with its arguments.</summary>
internal static class Program
{
    internal static int Main(string[] args)
    {
        if (args.Length == 2 && args[1] == "-q")
        {
            // Quiet: for spawning it many times (tests, benchmarks) without a line each time.
            return 0;
        }
        Console.Write("hello from ring 3: pid ");
        Console.Write(Sys.GetPid());
        Console.Write(", cpl=");
        Console.Write(Sys.CodePrivilegeLevel());
        Console.Write(", argv = [");
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0)
            {
                Console.Write(", ");
            }
            Console.Write(args[i]);
        }
        Console.WriteLine("]");
        return 0;
    }
}
