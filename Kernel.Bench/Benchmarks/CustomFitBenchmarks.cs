using System;
using BenchmarkDotNet.Attributes;
using Kernel.Bench.Machine;
using Kernel.Bench.Peers;
using Kernel.Bench.Traces;
using Kernel.Mem;
using Kernel.Mem.Heap;

namespace Kernel.Bench.Benchmarks;

/// <summary>
/// Large allocations under custom fit (<see cref="CustomFitTrace"/>) with 100, 1,000 and 10,000 holes: the
/// page allocator's bookkeeping alone (<see cref="PageArea"/>), the kernel heap with every page mapped and
/// unmapped through the mapper, and glibc and mimalloc given the same layout and the same requests. Figures
/// are per operation (one allocation or one free); the Scaling column divides by the same method at 100 holes.
/// </summary>
[Config(typeof(BenchConfig))]
public class CustomFitBenchmarks
{
    // A block area is required but unused here: the trace's requests are all larger than a block.
    private const ulong BlockAreaSize = 64 * MemConstants.KiB;

    // The layout holds every one of its blocks at once before it frees the would-be holes, so the machine
    // needs a frame per page of the area, plus a page table per 512 pages and the tables above them.
    private const ulong PagesPerTable = 512;
    private const ulong UpperTableMargin = 64;

    private CustomFitTrace _trace;
    private nint[] _slots;
    private PageArea _area;
    private HeapMachine _machine;

    [Params(100, 1_000, 10_000)]
    public int Holes { get; set; }

    [GlobalSetup(Target = nameof(PageAllocator))]
    public void SetupPageAllocator()
    {
        CreateTrace();
        _area = new PageArea((uint)_trace.AreaPages);
        TraceReplayer.Replay(_area.Allocator, _trace.Layout, _slots);
        CheckHoles(_area.Pages.HoleCount, _area.Pages.FailedAllocations, "layout");
        TraceReplayer.Replay(_area.Allocator, _trace.Requests, _slots);
        CheckHoles(_area.Pages.HoleCount, _area.Pages.FailedAllocations, "a replay of the requests");
    }

    [GlobalSetup(Target = nameof(KernelHeap))]
    public void SetupKernelHeap()
    {
        CreateTrace();
        ulong heapSize = BlockAreaSize + KernelHeapLayout.GuardSize + (_trace.AreaPages << MemConstants.PageShift);
        _machine = new HeapMachine(heapSize, BlockAreaSize, FramesFor(_trace.AreaPages));
        TraceReplayer.Replay(_machine.Allocator, _trace.Layout, _slots);
        HeapStatistics statistics = _machine.Heap.GetStatistics();
        CheckHoles(statistics.HoleCount, statistics.FailedAllocations + statistics.BadFrees, "layout");
        TraceReplayer.Replay(_machine.Allocator, _trace.Requests, _slots);
        statistics = _machine.Heap.GetStatistics();
        CheckHoles(statistics.HoleCount, statistics.FailedAllocations + statistics.BadFrees, "a replay of the requests");
    }

    [GlobalSetup(Target = nameof(Mimalloc))]
    public void SetupMimalloc() => SetupPeer(default(MimallocAllocator));

    [GlobalSetup(Target = nameof(Glibc))]
    public void SetupGlibc() => SetupPeer(default(GlibcAllocator));

    [GlobalCleanup(Target = nameof(PageAllocator))]
    public void CleanupPageAllocator() => _area.Dispose();

    [GlobalCleanup(Target = nameof(KernelHeap))]
    public void CleanupKernelHeap() => _machine.Dispose();

    [GlobalCleanup(Target = nameof(Mimalloc))]
    public void CleanupMimalloc() => FreeAll(default(MimallocAllocator));

    [GlobalCleanup(Target = nameof(Glibc))]
    public void CleanupGlibc() => FreeAll(default(GlibcAllocator));

    [Benchmark(OperationsPerInvoke = CustomFitTrace.RequestOperations)]
    public void PageAllocator() => TraceReplayer.Replay(_area.Allocator, _trace.Requests, _slots);

    [Benchmark(OperationsPerInvoke = CustomFitTrace.RequestOperations)]
    public void KernelHeap() => TraceReplayer.Replay(_machine.Allocator, _trace.Requests, _slots);

    [Benchmark(Baseline = true, OperationsPerInvoke = CustomFitTrace.RequestOperations)]
    public void Mimalloc() => TraceReplayer.Replay(default(MimallocAllocator), _trace.Requests, _slots);

    [Benchmark(OperationsPerInvoke = CustomFitTrace.RequestOperations)]
    public void Glibc() => TraceReplayer.Replay(default(GlibcAllocator), _trace.Requests, _slots);

    // The peers get the same layout, so they too serve the requests among N freed blocks of the same sizes
    // (how they file those blocks is their own affair: bins, mmap, segments).
    private void SetupPeer<TAllocator>(TAllocator allocator)
        where TAllocator : struct, ITraceAllocator
    {
        CreateTrace();
        TraceReplayer.Replay(allocator, _trace.Layout, _slots);
    }

    private unsafe void FreeAll<TAllocator>(TAllocator allocator)
        where TAllocator : struct, ITraceAllocator
    {
        // The layout's frees and every request's free leave only the separators live.
        for (int slot = 0; slot < _slots.Length; slot += 2)
        {
            allocator.Free((void*)_slots[slot]);
            _slots[slot] = 0;
        }
    }

    private void CreateTrace()
    {
        _trace = CustomFitTrace.Create(Holes);
        _slots = new nint[_trace.SlotCount];
    }

    private static ulong FramesFor(ulong pages) => pages + pages / PagesPerTable + UpperTableMargin;

    private void CheckHoles(ulong holes, ulong failures, string after)
    {
        if (holes != (ulong)Holes || failures != 0)
        {
            throw new InvalidOperationException($"custom fit after {after}: {holes} holes (want {Holes}), {failures} failures");
        }
    }
}
