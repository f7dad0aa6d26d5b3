using System;
using System.IO;
using Kernel.Bench.Machine;
using Kernel.Bench.Traces;
using Kernel.Mem;
using Kernel.Mem.Heap;

namespace Kernel.Bench.Reporting;

/// <summary>
/// Fragmentation on the churn trace: the peak of pages the heap holds divided by the peak of live bytes
/// rounded up to pages (1.00 would be perfect packing). Split into the share the power-of-two size classes
/// cost (block bytes over requested bytes) and the share of free blocks stranded on pages that stay in use.
/// </summary>
internal static unsafe class FragmentationReport
{
    private const ulong HeapSize = 64 * MemConstants.MiB;
    private const ulong FrameCount = 16384;

    public static void Print(TextWriter output)
    {
        ChurnTrace trace = ChurnTrace.Create();
        using var machine = new HeapMachine(HeapSize, KernelHeapLayout.MaximumBlockAreaSize, FrameCount);
        var slots = new nint[ChurnTrace.SlotCount];
        var sizes = new uint[ChurnTrace.SlotCount];
        ulong liveBytes = 0;
        ulong peakPages = 0;
        ulong peakBlockBytes = 0;
        ulong blockBytesAtPeakPages = 0;
        ulong liveBytesAtPeakPages = 0;
        foreach (TraceOperation operation in trace.Operations)
        {
            if (operation.IsFree)
            {
                machine.Heap.Free((void*)slots[operation.Slot]);
                liveBytes -= sizes[operation.Slot];
                sizes[operation.Slot] = 0;
            }
            else
            {
                slots[operation.Slot] = (nint)machine.Heap.Allocate(operation.Size);
                liveBytes += operation.Size;
                sizes[operation.Slot] = operation.Size;
            }
            HeapStatistics statistics = machine.Heap.GetStatistics();
            ulong pages = statistics.BlockPages + statistics.PagesInUse;
            if (pages > peakPages)
            {
                peakPages = pages;
                blockBytesAtPeakPages = statistics.BlockBytesInUse;
                liveBytesAtPeakPages = liveBytes;
            }
            peakBlockBytes = Math.Max(peakBlockBytes, statistics.BlockBytesInUse);
        }
        HeapStatistics final = machine.Heap.GetStatistics();
        if (final.FailedAllocations != 0 || final.BadFrees != 0 || final.BlockPages != 0)
        {
            throw new InvalidOperationException("the churn replay failed or left pages behind");
        }

        ulong livePages = PageAllocator<UnbackedPages>.PagesFor(trace.PeakLiveBytes);
        output.WriteLine($"Fragmentation on the churn trace ({trace.Operations.Length:N0} operations, sizes {ChurnTrace.MinimumSize}..{ChurnTrace.MaximumSize} B uniform, peak live set {trace.PeakLiveObjects:N0} objects)");
        output.WriteLine($"  peak live bytes                 {trace.PeakLiveBytes,12:N0} B = {livePages:N0} pages rounded up");
        output.WriteLine($"  peak pages in use               {peakPages,12:N0} pages ({(peakPages << MemConstants.PageShift) / (double)MemConstants.MiB:0.00} MiB)");
        output.WriteLine($"  fragmentation                   {peakPages / (double)livePages,12:0.000} (peak pages / peak live pages; 1.000 is perfect)");
        output.WriteLine($"  at the page peak: size classes  {blockBytesAtPeakPages / (double)liveBytesAtPeakPages,12:0.000} (block bytes / requested bytes)");
        output.WriteLine($"  at the page peak: page packing  {(peakPages << MemConstants.PageShift) / (double)blockBytesAtPeakPages,12:0.000} (page bytes / block bytes: free blocks on pages in use)");
        output.WriteLine();
    }
}
