using System;
using System.Diagnostics;
using System.IO;
using Kernel.Bench.Benchmarks;
using Kernel.Bench.Traces;

namespace Kernel.Bench.Reporting;

/// <summary>
/// `--interleaved`: the goal figures measured for a host shared with other work, where BenchmarkDotNet's
/// benchmark-after-benchmark runs let the load change between an allocator and its peer. Each allocator and
/// its peer replay their trace alternately, round after round, and each keeps its fastest round (the least
/// disturbed); the ratio is of those minima. Churn: the kernel heap against mimalloc without the GC
/// transition. Custom fit with 1,000 holes: the mapped kernel heap, with mimalloc for scale.
/// </summary>
internal static class InterleavedReport
{
    private const int Rounds = 100;
    // Enough calls for the JIT to reach its optimised tier before anything counts.
    private const int WarmUpRounds = 100;

    public static void Print(TextWriter output)
    {
        var churn = new ChurnBenchmarks();
        churn.Setup();
        (double heap, double peer) = Race(churn.KernelHeap, churn.MimallocNoTransition, ChurnTrace.OperationCount);
        churn.Cleanup();
        output.WriteLine($"Churn, fastest of {Rounds} interleaved rounds: kernel heap {heap:F2} ns, mimalloc without the transition {peer:F2} ns per operation: {heap / peer:F2}x (goal <= 0.9x)");

        var fit = new CustomFitBenchmarks { Holes = 1_000 };
        fit.SetupKernelHeap();
        var fitPeer = new CustomFitBenchmarks { Holes = 1_000 };
        fitPeer.SetupMimalloc();
        (double mapped, double mimalloc) = Race(fit.KernelHeap, fitPeer.Mimalloc, CustomFitTrace.RequestOperations);
        fit.CleanupKernelHeap();
        fitPeer.CleanupMimalloc();
        output.WriteLine($"Custom fit, 1,000 holes, fastest of {Rounds} interleaved rounds: mapped kernel heap {mapped:F1} ns (goal <= 150 ns), mimalloc {mimalloc:F1} ns per operation: {mapped / mimalloc:F2}x");
    }

    /// <summary>The fastest round of each, in ns per operation, running them alternately.</summary>
    private static (double First, double Second) Race(Action first, Action second, int operationsPerRound)
    {
        double bestFirst = double.MaxValue;
        double bestSecond = double.MaxValue;
        for (int round = 0; round < WarmUpRounds + Rounds; round++)
        {
            double a = Time(first, operationsPerRound);
            double b = Time(second, operationsPerRound);
            if (round >= WarmUpRounds)
            {
                bestFirst = Math.Min(bestFirst, a);
                bestSecond = Math.Min(bestSecond, b);
            }
        }
        return (bestFirst, bestSecond);
    }

    private static double Time(Action action, int operations)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / operations;
    }
}
