namespace Kernel.Bench.Traces;

/// <summary>
/// Small-object churn: each step picks one of <see cref="SlotCount"/> slots at random and frees what it
/// holds, or, when it is empty, allocates a random size of <see cref="MinimumSize"/>..<see cref="MaximumSize"/>
/// bytes (uniform) into it. Allocations and frees are thus randomly interleaved and the live set settles
/// around half the slots (about 4,096 objects, some 4 MiB). The trace ends by freeing every object still
/// live, so each replay starts and ends with an empty heap and can be repeated as often as a benchmark likes.
/// </summary>
internal sealed class ChurnTrace
{
    public const int SlotCount = 8192;

    /// <summary>Operations in the whole trace, the final frees included (a constant so BenchmarkDotNet can divide by it).</summary>
    public const int OperationCount = 200_000;

    public const uint MinimumSize = 8;
    public const uint MaximumSize = 2048;

    private const ulong Seed = 0x6B65_726E_656C_6865; // "kernelhe"

    private ChurnTrace(TraceOperation[] operations, int peakLiveObjects, ulong peakLiveBytes)
    {
        Operations = operations;
        PeakLiveObjects = peakLiveObjects;
        PeakLiveBytes = peakLiveBytes;
    }

    public TraceOperation[] Operations { get; }
    public int PeakLiveObjects { get; }

    /// <summary>The most bytes requested and not yet freed at any point of the trace.</summary>
    public ulong PeakLiveBytes { get; }

    public static ChurnTrace Create()
    {
        var random = new SplitMix64(Seed);
        var operations = new TraceOperation[OperationCount];
        var sizes = new uint[SlotCount];
        int count = 0;
        int live = 0;
        int peakLive = 0;
        ulong liveBytes = 0;
        ulong peakLiveBytes = 0;

        // An allocation adds one operation now and one final free later; a free adds one now and removes
        // one final free. So count + live grows by 2 or stays, is always even, and reaches the (even)
        // total exactly.
        while (count + live < OperationCount)
        {
            int slot = (int)(random.Next() % SlotCount);
            if (sizes[slot] != 0)
            {
                operations[count++] = TraceOperation.Free(slot);
                liveBytes -= sizes[slot];
                sizes[slot] = 0;
                live--;
            }
            else
            {
                uint size = random.Between(MinimumSize, MaximumSize);
                operations[count++] = TraceOperation.Allocation(slot, size);
                sizes[slot] = size;
                liveBytes += size;
                live++;
                if (live > peakLive)
                {
                    peakLive = live;
                }
                if (liveBytes > peakLiveBytes)
                {
                    peakLiveBytes = liveBytes;
                }
            }
        }
        for (int slot = 0; slot < SlotCount; slot++)
        {
            if (sizes[slot] != 0)
            {
                operations[count++] = TraceOperation.Free(slot);
            }
        }
        return new ChurnTrace(operations, peakLive, peakLiveBytes);
    }
}
