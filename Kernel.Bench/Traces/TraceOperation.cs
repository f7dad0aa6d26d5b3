namespace Kernel.Bench.Traces;

/// <summary>
/// One step of a recorded trace: allocate <see cref="Size"/> bytes into slot <see cref="Slot"/>, or, when
/// <see cref="Size"/> is 0, free what the slot holds. Every allocator replays the same array, so they see
/// the same sizes in the same order and free the same objects.
/// </summary>
internal readonly struct TraceOperation
{
    private TraceOperation(int slot, uint size)
    {
        Slot = slot;
        Size = size;
    }

    public int Slot { get; }

    /// <summary>Bytes to allocate; 0 marks a free.</summary>
    public uint Size { get; }

    public bool IsFree => Size == 0;

    public static TraceOperation Allocation(int slot, uint size) => new TraceOperation(slot, size);

    public static TraceOperation Free(int slot) => new TraceOperation(slot, 0);
}
