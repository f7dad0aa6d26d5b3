using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Kernel.Bench.Columns;
using Perfolizer.Horology;

namespace Kernel.Bench;

/// <summary>
/// A short job, so that all of `make bench` ends in a few minutes on a noisy two-core machine: 3 warm-up
/// and 10 measured iterations of about a quarter second each. In-process, because the default toolchain
/// generates, restores and builds a project before it starts a process per benchmark, which takes longer
/// than the measurements here (and BenchmarkDotNet 0.14 predates net10.0). The benchmarks allocate outside
/// the GC heap and every trace leaves its allocator as it found it, so sharing the process skews nothing.
/// Applied through [Config] on each benchmark class, on top of BenchmarkDotNet's default configuration
/// (loggers, exporters, the standard columns), which the switcher supplies.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public const int WarmupCount = 3;
    public const int IterationCount = 10;
    public const int IterationMilliseconds = 250;

    public BenchConfig()
    {
        AddJob(Job.Default
            .WithWarmupCount(WarmupCount)
            .WithIterationCount(IterationCount)
            .WithIterationTime(TimeInterval.FromMilliseconds(IterationMilliseconds))
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("Short"));
        AddColumn(new PeerRatioColumn("Glibc", "vs glibc"));
        AddColumn(new ParameterScalingColumn("Holes"));
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared));
    }
}
