namespace Kernel.Mem.Heap;

/// <summary>
/// What a free (or a reallocation) made of the address it was given. Every value other than
/// <see cref="Freed"/> and <see cref="NullPointer"/> is a caller bug: the heap changes nothing, counts it,
/// and leaves it to the kernel to panic or warn.
/// </summary>
public enum FreeStatus : byte
{
    /// <summary>The allocation that starts at the address was released.</summary>
    Freed,

    /// <summary>The address was null: nothing to do, as C's free(NULL).</summary>
    NullPointer,

    /// <summary>The address lies outside every range the heap hands out (including the guard gap).</summary>
    OutsideHeap,

    /// <summary>The address lies inside a live allocation but not at its start.</summary>
    InsideAllocation,

    /// <summary>The address is where an allocation could start but none is live there: freed already, or never handed out.</summary>
    DoubleFree,

    /// <summary>The address is not on an allocation boundary of its area and inside no live allocation.</summary>
    Misaligned,
}
