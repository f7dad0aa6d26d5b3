using System;
using BenchmarkDotNet.Attributes;
using Kernel.Bench.Machine;
using Kernel.Bench.Peers;
using Kernel.Bench.Traces;
using Kernel.Mem;
using Kernel.Mem.Heap;

namespace Kernel.Bench.Benchmarks;

/// <summary>
/// Small-object churn (<see cref="ChurnTrace"/>): the kernel heap's block allocator against glibc and
/// mimalloc, every allocator replaying the same 200,000 operations per invocation. Figures are per
/// operation (one allocation or one free). mimalloc is the baseline: the goal is to match it.
/// </summary>
[Config(typeof(BenchConfig))]
public class ChurnBenchmarks
{
    // The full 32 MiB block area, several times the ~6 MiB of block pages the live set needs at its peak.
    private const ulong HeapSize = 64 * MemConstants.MiB;
    private const ulong BlockAreaSize = KernelHeapLayout.MaximumBlockAreaSize;
    private const ulong FrameCount = 16384;

    private ChurnTrace _trace;
    private nint[] _slots;
    private HeapMachine _machine;

    [GlobalSetup]
    public void Setup()
    {
        _trace = ChurnTrace.Create();
        _slots = new nint[ChurnTrace.SlotCount];
        _machine = new HeapMachine(HeapSize, BlockAreaSize, FrameCount);

        // One checked replay: a trace the heap cannot serve, or one that leaves anything behind, would
        // make the timings meaningless.
        TraceReplayer.Replay(_machine.Allocator, _trace.Operations, _slots);
        HeapStatistics statistics = _machine.Heap.GetStatistics();
        if (statistics.FailedAllocations != 0 || statistics.BadFrees != 0 || statistics.BlockBytesInUse != 0 || statistics.BlockPages != 0)
        {
            throw new InvalidOperationException(
                $"churn replay on the kernel heap: {statistics.FailedAllocations} failed allocations, {statistics.BadFrees} bad frees, "
                + $"{statistics.BlockBytesInUse} bytes and {statistics.BlockPages} pages left in use");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _machine.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = ChurnTrace.OperationCount)]
    public void Mimalloc() => TraceReplayer.Replay(default(MimallocAllocator), _trace.Operations, _slots);

    [Benchmark(OperationsPerInvoke = ChurnTrace.OperationCount)]
    public void Glibc() => TraceReplayer.Replay(default(GlibcAllocator), _trace.Operations, _slots);

    [Benchmark(OperationsPerInvoke = ChurnTrace.OperationCount)]
    public void KernelHeap() => TraceReplayer.Replay(_machine.Allocator, _trace.Operations, _slots);

    /// <summary>mimalloc without the P/Invoke's GC transition: the allocator alone.</summary>
    [Benchmark(OperationsPerInvoke = ChurnTrace.OperationCount)]
    public void MimallocNoTransition() => TraceReplayer.Replay(default(MimallocDirectAllocator), _trace.Operations, _slots);

    /// <summary>glibc malloc/free called directly without the GC transition: the allocator alone.</summary>
    [Benchmark(OperationsPerInvoke = ChurnTrace.OperationCount)]
    public void GlibcNoTransition() => TraceReplayer.Replay(default(GlibcDirectAllocator), _trace.Operations, _slots);
}
