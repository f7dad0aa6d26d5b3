namespace Kernel.Bench.Traces;

/// <summary>Plays a trace against an allocator, keeping what each slot holds.</summary>
internal static unsafe class TraceReplayer
{
    /// <summary>
    /// Performs <paramref name="operations"/> in order. <paramref name="slots"/> must have a place for every
    /// slot the trace names and hold what earlier replays left there (a trace that frees before it allocates
    /// a slot relies on it).
    /// </summary>
    public static void Replay<TAllocator>(TAllocator allocator, TraceOperation[] operations, nint[] slots)
        where TAllocator : struct, ITraceAllocator
    {
        fixed (TraceOperation* first = operations)
        fixed (nint* slot = slots)
        {
            TraceOperation* end = first + operations.Length;
            for (TraceOperation* operation = first; operation < end; operation++)
            {
                if (operation->IsFree)
                {
                    allocator.Free((void*)slot[operation->Slot]);
                }
                else
                {
                    slot[operation->Slot] = (nint)allocator.Allocate(operation->Size);
                }
            }
        }
    }
}
