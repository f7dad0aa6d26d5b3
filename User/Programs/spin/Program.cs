using System;
using Kernel.Abi;
using UserRuntime;

/// <summary>
/// Burns CPU without ever yielding: forever, or for SECONDS (or, as "200ms", milliseconds) of its own CPU
/// time; with a LABEL it prints "LABEL N" every 100 ms of CPU, so two of them show how the scheduler
/// interleaves them.
/// </summary>
internal static unsafe class Program
{
    internal static int Main(string[] args)
    {
        bool milliseconds = args.Length > 1 && args[1].Length > 2 && args[1].EndsWithMilliseconds();
        long amount = args.Length > 1 ? Parse(milliseconds ? args[1].Substring(0, args[1].Length - 2) : args[1]) : -1;
        string label = args.Length > 2 ? args[2] : null;
        if (amount < -1)
        {
            Console.WriteLine("usage: spin [SECONDS|MILLISECONDSms [LABEL]]");
            return 2;
        }
        ulong limit = amount < 0 ? ulong.MaxValue : (ulong)amount * (milliseconds ? 1UL : 1000UL);
        ulong nextReport = 100;
        int reports = 0;
        MemoryCounters counters;
        ulong spins = 0;
        while (true)
        {
            // Ask for the tick count only now and then: the loop must spend its time in ring 3.
            if ((++spins & 0xFFFF) != 0)
            {
                continue;
            }
            Sys.GetMemoryCounters(&counters);
            if (counters.Ticks >= limit)
            {
                break;
            }
            if (label != null && counters.Ticks >= nextReport)
            {
                Console.Write(label);
                Console.Write(' ');
                Console.Write(++reports);
                Console.WriteLine();
                nextReport += 100;
            }
        }
        return 0;
    }

    private static bool EndsWithMilliseconds(this string text) => text[text.Length - 2] == 'm' && text[text.Length - 1] == 's';

    private static long Parse(string text)
    {
        long value = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] < '0' || text[i] > '9' || value > 1000000)
            {
                return -2;
            }
            value = value * 10 + (text[i] - '0');
        }
        return text.Length == 0 ? -2 : value;
    }
}
