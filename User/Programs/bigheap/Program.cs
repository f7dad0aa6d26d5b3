using System;
using Kernel.Abi;
using Kernel.Mem;
using UserRuntime;

/// <summary>
/// Writes a pattern over MIB MiB of user heap (default 64) and reads it all back, for a heap larger than the
/// machine's RAM: with a page file the kernel evicts and pages back; every word must read back as written.
/// Prints the time of each pass in MiB/s and the paging figures; exits 0 when every word was right.
/// </summary>
internal static unsafe class Program
{
    internal static int Main(string[] args)
    {
        ulong mib = args.Length > 1 ? Parse(args[1]) : 64;
        ulong seed = args.Length > 2 ? Parse(args[2]) : 1;
        if (mib == 0 || mib > 470)
        {
            Console.WriteLine("usage: bigheap [MIB (1..470) [SEED]]");
            return 2;
        }
        ulong bytes = mib * MemConstants.MiB;
        ulong* words = (ulong*)Heap.Malloc(bytes);
        if (words == null)
        {
            Console.WriteLine("bigheap: malloc failed");
            return 3;
        }
        ulong count = bytes / sizeof(ulong);
        long start = Sys.UptimeMilliseconds();
        for (ulong i = 0; i < count; i++)
        {
            words[i] = Pattern(i, seed);
        }
        long written = Sys.UptimeMilliseconds();
        ulong wrong = 0;
        ulong firstWrong = 0;
        for (ulong i = 0; i < count; i++)
        {
            if (words[i] != Pattern(i, seed))
            {
                if (wrong++ == 0)
                {
                    firstWrong = (ulong)(words + i);
                }
            }
        }
        long verified = Sys.UptimeMilliseconds();
        MemoryCounters counters;
        Sys.GetMemoryCounters(&counters);
        Console.Write("bigheap: ");
        Console.Write(mib);
        Console.Write(" MiB written in ");
        Console.Write(written - start);
        Console.Write(" ms (");
        WriteRate(mib, written - start);
        Console.Write(" MiB/s), verified in ");
        Console.Write(verified - written);
        Console.Write(" ms (");
        WriteRate(mib, verified - written);
        Console.WriteLine(" MiB/s)");
        Console.Write("bigheap: faults ");
        Console.Write(counters.PageFaults);
        Console.Write(", page-ins ");
        Console.Write(counters.PageIns);
        Console.Write(", page-outs ");
        Console.Write(counters.PageOuts);
        Console.Write(", writes avoided ");
        Console.Write(counters.WritesAvoided);
        Console.Write(", working set ");
        Console.Write(counters.WorkingSetPages);
        Console.Write("/");
        Console.Write(counters.WorkingSetCapacity);
        Console.WriteLine();
        Heap.Free(words);
        if (wrong != 0)
        {
            Console.Write("bigheap: FAIL ");
            Console.Write(wrong);
            Console.Write(" words wrong, the first at ");
            Console.WriteHex(firstWrong);
            Console.WriteLine();
            return 1;
        }
        Console.WriteLine("bigheap: every word read back as written");
        return 0;
    }

    private static ulong Pattern(ulong index, ulong seed) => (index * 0x9E3779B97F4A7C15UL) ^ (seed << 32) ^ index;

    private static void WriteRate(ulong mib, long milliseconds)
    {
        ulong tenths = milliseconds <= 0 ? 0 : mib * 10000 / (ulong)milliseconds;
        Console.Write(tenths / 10);
        Console.Write('.');
        Console.Write((char)('0' + (int)(tenths % 10)));
    }

    private static ulong Parse(string text)
    {
        ulong value = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] < '0' || text[i] > '9' || value > 100000000)
            {
                return 0;
            }
            value = value * 10 + (ulong)(text[i] - '0');
        }
        return value;
    }
}
