using Kernel.Drivers;
using Kernel.Mem.Heap;
using Kernel.Mem.Pebble;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// The figures a suite must leave as it found them: free frames, the kernel heap's block bytes in use,
/// page-area pages in use, holes and frames held, and the pebble allocator's pebbles in use and buckets.
/// Taken by value on the stack, so taking one allocates nothing.
/// </summary>
internal struct MemorySnapshot
{
    public ulong FreeFrames;
    public ulong BlockBytesInUse;
    public ulong PagesInUse;
    public ulong HoleCount;
    public ulong HeapFrames;
    public ulong PebblesInUse;
    public ulong Buckets;

    public static MemorySnapshot Take()
    {
        HeapStatistics heap = MemoryManager.Heap.GetStatistics();
        PebbleStatistics pebbles = MemoryManager.Pebbles.GetStatistics();
        MemorySnapshot snapshot;
        snapshot.FreeFrames = MemoryManager.Frames.FreeFrames;
        snapshot.BlockBytesInUse = heap.BlockBytesInUse;
        snapshot.PagesInUse = heap.PagesInUse;
        snapshot.HoleCount = heap.HoleCount;
        snapshot.HeapFrames = heap.Frames;
        snapshot.PebblesInUse = pebbles.PebblesInUse;
        snapshot.Buckets = (ulong)pebbles.Buckets;
        return snapshot;
    }

    public bool Equals(MemorySnapshot other) =>
        FreeFrames == other.FreeFrames && BlockBytesInUse == other.BlockBytesInUse && PagesInUse == other.PagesInUse
        && HoleCount == other.HoleCount && HeapFrames == other.HeapFrames && PebblesInUse == other.PebblesInUse
        && Buckets == other.Buckets;

    /// <summary>Writes "name before -> after" for every figure that differs, comma-separated.</summary>
    public void WriteDifferences(MemorySnapshot after)
    {
        bool first = true;
        WriteDifference(ref first, "free frames", FreeFrames, after.FreeFrames);
        WriteDifference(ref first, "heap block bytes in use", BlockBytesInUse, after.BlockBytesInUse);
        WriteDifference(ref first, "heap pages in use", PagesInUse, after.PagesInUse);
        WriteDifference(ref first, "heap holes", HoleCount, after.HoleCount);
        WriteDifference(ref first, "heap frames held", HeapFrames, after.HeapFrames);
        WriteDifference(ref first, "pebbles in use", PebblesInUse, after.PebblesInUse);
        WriteDifference(ref first, "buckets", Buckets, after.Buckets);
    }

    private static void WriteDifference(ref bool first, string name, ulong before, ulong after)
    {
        if (before == after)
        {
            return;
        }
        if (!first)
        {
            Console.Write(", ");
        }
        first = false;
        Console.Write(name);
        Console.Write(" ");
        Console.WriteDecimal(before);
        Console.Write(" -> ");
        Console.WriteDecimal(after);
    }
}
