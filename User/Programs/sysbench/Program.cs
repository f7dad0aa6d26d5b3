using System;
using System.Runtime;
using System.Runtime.CompilerServices;
using Kernel.Abi;
using UserRuntime;

/// <summary>
/// The costs of the user/kernel boundary and of the user heap, in TSC cycles, each against a 4 KiB memset
/// measured in the same run (the same memset the kernel uses, so membench's kernel figures compare too): a
/// getpid round trip, a switch between two processes that yield to each other, spawning and reaping a
/// program, malloc+free of 64 B and of 16 KiB (two system calls; then with its four pages touched), a
/// lazy zero-fill fault end to end, and the free of an allocation spanning almost the whole page area (one
/// free_user_mem over 120,320 reserved pages, 256 of them touched, which the kernel does without
/// preemption). Each figure is the best of several rounds.
/// </summary>
internal static unsafe class Program
{
    private const int Rounds = 7;

    [RuntimeImport("*", "SysbenchReadTsc")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong ReadTsc();

    [RuntimeImport("*", "memset")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void* Memset(byte* destination, int value, nuint length);

    internal static int Main(string[] args)
    {
        if (args.Length == 3 && args[1] == "yield")
        {
            int count = Parse(args[2]);
            for (int i = 0; i < count; i++)
            {
                Sys.Yield();
            }
            return 0;
        }

        byte* page = stackalloc byte[4096];
        ulong memset = Best(2000, 0, page);
        ulong getpid = Best(2000, 1, page);
        ulong yield = YieldPingPong(2000);
        ulong spawn = Best(10, 2, page);
        ulong small = Best(2000, 3, page);
        ulong large = Best(500, 4, page);
        ulong largeTouched = Best(200, 5, page);
        ulong fault = LazyFault();
        ulong freeWhole = FreeOfAWholeHeapAllocation();

        Console.Write("sysbench: 4 KiB memset ");
        Console.Write(memset);
        Console.WriteLine(" cycles");
        Report("getpid round trip", getpid, memset);
        Report("switch between two yielding processes", yield, memset);
        Report("spawn and reap hello -q", spawn, memset);
        Report("malloc+free 64 B", small, memset);
        Report("malloc+free 16 KiB, pages untouched", large, memset);
        Report("malloc+free 16 KiB, its 4 pages touched", largeTouched, memset);
        Report("lazy zero-fill fault, end to end", fault, memset);
        Report("free of a 470 MiB allocation, 256 pages touched", freeWhole, memset);
        return 0;
    }

    private static void Report(string what, ulong cycles, ulong memset)
    {
        Console.Write("sysbench: ");
        Console.Write(what);
        Console.Write(" ");
        Console.Write(cycles);
        Console.Write(" cycles = ");
        ulong hundredths = cycles * 100 / (memset == 0 ? 1 : memset);
        Console.Write(hundredths / 100);
        Console.Write('.');
        Console.Write((char)('0' + (int)(hundredths / 10 % 10)));
        Console.Write((char)('0' + (int)(hundredths % 10)));
        Console.WriteLine("x memset");
    }

    /// <summary>The lowest per-operation cycles over <see cref="Rounds"/> rounds of <paramref name="count"/> operations.</summary>
    private static ulong Best(int count, int kind, byte* page)
    {
        ulong best = ulong.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            ulong start = ReadTsc();
            for (int i = 0; i < count; i++)
            {
                if (kind == 0)
                {
                    Memset(page, i, 4096);
                }
                else if (kind == 1)
                {
                    Sys.GetPid();
                }
                else if (kind == 2)
                {
                    long pid = Process.Spawn("hello", s_quiet);
                    Process.Wait(pid, out _);
                }
                else if (kind == 3)
                {
                    Heap.Free(Heap.Malloc(64));
                }
                else if (kind == 4)
                {
                    Heap.Free(Heap.Malloc(16 * 1024));
                }
                else
                {
                    byte* block = (byte*)Heap.Malloc(16 * 1024);
                    block[0] = 1;
                    block[4096] = 1;
                    block[8192] = 1;
                    block[12288] = 1;
                    Heap.Free(block);
                }
            }
            ulong cycles = (ReadTsc() - start) / (ulong)count;
            best = cycles < best ? cycles : best;
        }
        return best;
    }

    private static readonly string[] s_quiet = { "-q" };

    /// <summary>
    /// The first touch of a reserved page: the fault, a zeroed frame, the mapping and the return to the store,
    /// per page, over a 1 MiB reservation touched in order.
    /// </summary>
    private static ulong LazyFault()
    {
        const int Pages = 256;
        ulong best = ulong.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            byte* region = (byte*)Heap.Malloc(Pages * 4096);
            ulong start = ReadTsc();
            for (int i = 0; i < Pages; i++)
            {
                region[i * 4096] = 1;
            }
            ulong cycles = (ReadTsc() - start) / Pages;
            Heap.Free(region);
            best = cycles < best ? cycles : best;
        }
        return best;
    }

    /// <summary>
    /// Frees an allocation of 470 MiB (almost the whole page area) with 256 of its pages touched, spread over it:
    /// the kernel releases every reservation, frame and page table of it in one system call.
    /// </summary>
    private static ulong FreeOfAWholeHeapAllocation()
    {
        const ulong Size = 470 * 1024 * 1024;
        const ulong TouchedPages = 256;
        const int FreeRounds = 3;
        ulong best = ulong.MaxValue;
        for (int round = 0; round < FreeRounds; round++)
        {
            byte* region = (byte*)Heap.Malloc(Size);
            if (region == null)
            {
                return 0;
            }
            for (ulong i = 0; i < TouchedPages; i++)
            {
                region[i * (Size / TouchedPages)] = 1;
            }
            ulong start = ReadTsc();
            Heap.Free(region);
            ulong cycles = ReadTsc() - start;
            best = cycles < best ? cycles : best;
        }
        return best;
    }

    /// <summary>
    /// A child yields <paramref name="count"/> times while this process does too: each yield hands the CPU to
    /// the other, so every iteration here is two switches (and two system calls).
    /// </summary>
    private static ulong YieldPingPong(int count)
    {
        ulong best = ulong.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            s_yieldArguments[1] = Text(count + 10);
            long child = Process.Spawn("sysbench", s_yieldArguments);
            Sys.Yield();
            ulong start = ReadTsc();
            for (int i = 0; i < count; i++)
            {
                Sys.Yield();
            }
            ulong cycles = (ReadTsc() - start) / (ulong)count / 2;
            Process.Wait(child, out _);
            best = cycles < best ? cycles : best;
        }
        return best;
    }

    private static readonly string[] s_yieldArguments = { "yield", null };

    private static int Parse(string text)
    {
        int value = 0;
        for (int i = 0; i < text.Length && value < 100000000; i++)
        {
            value = value * 10 + (text[i] - '0');
        }
        return value;
    }

    private static string Text(int value)
    {
        byte* digits = stackalloc byte[12];
        int count = 0;
        do
        {
            digits[count++] = (byte)('0' + value % 10);
            value /= 10;
        }
        while (value > 0);
        byte* forward = stackalloc byte[12];
        for (int i = 0; i < count; i++)
        {
            forward[i] = digits[count - 1 - i];
        }
        return string.FromAscii(forward, count);
    }
}
