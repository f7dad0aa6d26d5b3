using Kernel.Arch;
using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Pebble;
using Kernel.Memory;

namespace Kernel.Shell.Commands;

/// <summary>
/// Times kernel-heap operations with the TSC against a peer measured in the same run: a 4 KiB memset.
/// The memory manager's lock is timed alone too, since kmalloc and kfree each take it once.
/// Each figure is the best of several rounds (the least disturbed by interrupts) of many iterations,
/// reported in cycles per operation and as a ratio to the memset.
/// </summary>
internal sealed unsafe class MembenchCommand : ShellCommand
{
    // Many short rounds: on a shared host the least disturbed one is the figure, and it takes a few dozen to find it.
    private const int Rounds = 31;
    private const int Iterations = 2000;
    private const ulong SmallSize = 64;
    private const ulong LargeSize = 4 * MemConstants.PageSize;

    public override string Name => "membench";

    public override string Summary => "kmalloc and pebble costs vs a 4 KiB memset";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        byte* buffer = (byte*)MemoryManager.Heap.Allocate(MemConstants.PageSize);
        ulong memset = Best(Kind.Memset, buffer);
        ulong lockPair = Best(Kind.LockPair, null);
        ulong small = Best(Kind.SmallPair, null);
        ulong large = Best(Kind.LargePair, null);
        // Keep one pebble alive so the measured pairs reuse its bucket instead of creating and
        // releasing a bucket (64 KiB of frames) on every iteration.
        void* anchor = MemoryManager.Pebbles.Allocate(SmallSize, 0, 0, PebbleFlags.Physical, "membench", DmaBuffers.KernelOwner);
        ulong pebbleSmall = Best(Kind.PebbleSmallPair, null);
        ulong pebbleLarge = Best(Kind.PebbleLargePair, null);
        MemoryManager.Pebbles.Free(anchor, DmaBuffers.KernelOwner);
        MemoryManager.Heap.Free(buffer);

        Console.WriteLine("operation                          cycles/op   vs 4 KiB memset");
        Report("memset 4 KiB (peer)", memset, memset);
        Report("memory lock enter+exit", lockPair, memset);
        Report("kmalloc+kfree 64 B", small, memset);
        Report("kmalloc+kfree 4 pages (16 KiB)", large, memset);
        Report("pebble alloc+free 64 B (physical)", pebbleSmall, memset);
        Report("pebble alloc+free 16 KiB (physical)", pebbleLarge, memset);
        Console.Write("pebble vs kmalloc, same size: 64 B ");
        WriteRatio(pebbleSmall, small);
        Console.Write(", 16 KiB ");
        WriteRatio(pebbleLarge, large);
        Console.WriteLine();
        if (Pit.TscPerMillisecond != 0)
        {
            Console.Write("(TSC ");
            Console.WriteDecimal(Pit.TscPerMillisecond / 1000);
            Console.Write(" MHz; best of ");
            Console.WriteDecimal((ulong)Rounds);
            Console.Write(" rounds of ");
            Console.WriteDecimal((ulong)Iterations);
            Console.WriteLine(" iterations)");
        }
    }

    private enum Kind
    {
        Memset,
        LockPair,
        SmallPair,
        LargePair,
        PebbleSmallPair,
        PebbleLargePair,
    }

    private static ulong Best(Kind kind, byte* buffer)
    {
        ulong best = ulong.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            ulong start = Cpu.ReadTsc();
            for (int i = 0; i < Iterations; i++)
            {
                switch (kind)
                {
                    case Kind.Memset:
                        System.Runtime.RuntimeExports.memset(buffer, i, (nuint)MemConstants.PageSize);
                        break;
                    case Kind.LockPair:
                        ulong state = MemoryManager.Frames.Lock.Enter();
                        MemoryManager.Frames.Lock.Exit(state);
                        break;
                    case Kind.SmallPair:
                        MemoryManager.Heap.Free(MemoryManager.Heap.Allocate(SmallSize));
                        break;
                    case Kind.PebbleSmallPair:
                        MemoryManager.Pebbles.Free(MemoryManager.Pebbles.Allocate(SmallSize, 0, 0, PebbleFlags.Physical, "membench", DmaBuffers.KernelOwner), DmaBuffers.KernelOwner);
                        break;
                    case Kind.PebbleLargePair:
                        MemoryManager.Pebbles.Free(MemoryManager.Pebbles.Allocate(LargeSize, 0, 0, PebbleFlags.Physical, "membench", DmaBuffers.KernelOwner), DmaBuffers.KernelOwner);
                        break;
                    default:
                        MemoryManager.Heap.Free(MemoryManager.Heap.Allocate(LargeSize));
                        break;
                }
            }
            ulong cycles = (Cpu.ReadTsc() - start) / Iterations;
            best = cycles < best ? cycles : best;
        }
        return best;
    }

    private static void Report(string name, ulong cycles, ulong peer)
    {
        Console.WritePadded(name, 34);
        Console.WriteDecimal(cycles, 10);
        Console.Write("   ");
        WriteRatio(cycles, peer);
        Console.WriteLine();
    }

    private static void WriteRatio(ulong value, ulong peer)
    {
        ulong hundredths = peer == 0 ? 0 : value * 100 / peer;
        Console.WriteDecimal(hundredths / 100);
        Console.Write(".");
        if (hundredths % 100 < 10)
        {
            Console.Write('0');
        }
        Console.WriteDecimal(hundredths % 100);
        Console.Write("x");
    }
}
