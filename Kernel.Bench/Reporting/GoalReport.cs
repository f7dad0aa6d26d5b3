using System.IO;
using System.Linq;
using BenchmarkDotNet.Reports;
using Kernel.Bench.Benchmarks;

namespace Kernel.Bench.Reporting;

/// <summary>The issue's speed goals, checked against the means BenchmarkDotNet measured in this run.</summary>
internal static class GoalReport
{
    private const double MaximumHoleScaling = 2.0;

    // Issue 11: the kernel heap at most 0.9x mimalloc without the GC transition on churn, and the mapped kernel
    // heap at most 150 ns per custom-fit operation.
    private const double MaximumChurnRatio = 0.9;
    private const double MaximumMappedCustomFitNanoseconds = 150;
    private static readonly int[] s_holeCounts = { 100, 1_000, 10_000 };

    public static void Print(TextWriter output, Summary[] summaries)
    {
        output.WriteLine("Goals (means of this run, ns per allocation or free)");
        double? heap = Mean(summaries, nameof(ChurnBenchmarks), nameof(ChurnBenchmarks.KernelHeap));
        double? mimalloc = Mean(summaries, nameof(ChurnBenchmarks), nameof(ChurnBenchmarks.Mimalloc));
        double? glibc = Mean(summaries, nameof(ChurnBenchmarks), nameof(ChurnBenchmarks.Glibc));
        double? mimallocAlone = Mean(summaries, nameof(ChurnBenchmarks), nameof(ChurnBenchmarks.MimallocNoTransition));
        double? glibcAlone = Mean(summaries, nameof(ChurnBenchmarks), nameof(ChurnBenchmarks.GlibcNoTransition));
        bool any = false;
        if (heap.HasValue && mimalloc.HasValue && glibc.HasValue)
        {
            any = true;
            output.WriteLine($"  churn: kernel heap {heap:0.00}, mimalloc {mimalloc:0.00}, glibc {glibc:0.00}");
            output.WriteLine($"    kernel heap / mimalloc = {heap / mimalloc:0.00} (goal <= 1: {Verdict(heap <= mimalloc)})");
            output.WriteLine($"    kernel heap / glibc    = {heap / glibc:0.00} (goal < 1: {Verdict(heap < glibc)})");
            if (mimallocAlone.HasValue && glibcAlone.HasValue)
            {
                double ratio = heap.Value / mimallocAlone.Value;
                output.WriteLine($"    without the P/Invoke GC transition: mimalloc {mimallocAlone:0.00}, glibc {glibcAlone:0.00}; "
                    + $"kernel heap / glibc = {heap / glibcAlone:0.00}");
                output.WriteLine($"    kernel heap / mimalloc without the transition = {ratio:0.00} (goal <= {MaximumChurnRatio}: {Verdict(ratio <= MaximumChurnRatio)})");
            }
        }
        foreach (string method in new[] { nameof(CustomFitBenchmarks.PageAllocator), nameof(CustomFitBenchmarks.KernelHeap) })
        {
            double?[] means = s_holeCounts.Select(holes => Mean(summaries, nameof(CustomFitBenchmarks), method, holes)).ToArray();
            if (means.All(m => m.HasValue))
            {
                any = true;
                double scaling = means[^1].Value / means[0].Value;
                output.WriteLine($"  custom fit, {method}: {string.Join(", ", s_holeCounts.Select((h, i) => $"{h:N0} holes {means[i]:0.00}"))}");
                output.WriteLine($"    10,000 / 100 holes = {scaling:0.00} (goal <= {MaximumHoleScaling:0}: {Verdict(scaling <= MaximumHoleScaling)})");
                if (method == nameof(CustomFitBenchmarks.KernelHeap))
                {
                    double slowest = means.Max(m => m.Value);
                    output.WriteLine($"    slowest {slowest:0.0} ns per operation (goal <= {MaximumMappedCustomFitNanoseconds:0}: {Verdict(slowest <= MaximumMappedCustomFitNanoseconds)})");
                }
            }
        }
        if (!any)
        {
            output.WriteLine("  (the goals need the kernel heap, mimalloc and glibc churn benchmarks, or a custom-fit method at every hole count, in one run)");
        }
        output.WriteLine();
    }

    private static double? Mean(Summary[] summaries, string type, string method, int? holes = null) =>
        summaries
            .SelectMany(s => s.Reports)
            .FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type.Name == type
                && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method
                && (holes == null || (r.BenchmarkCase.Parameters["Holes"] is int h && h == holes)))
            ?.ResultStatistics?.Mean;

    private static string Verdict(bool? met) => met == true ? "met" : "MISSED";
}
