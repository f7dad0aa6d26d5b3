namespace Kernel.Swap;

/// <summary>What <see cref="SlotAllocator.Release"/> did.</summary>
internal enum SlotFreeStatus
{
    Ok,

    /// <summary>No such slot: at or past the slot count.</summary>
    OutOfRange,

    /// <summary>The slot was not allocated: a double free (or a free of a slot never handed out). Nothing changed.</summary>
    NotAllocated,
}
