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

    /// <summary>An allocation started at the address and has been freed since: a double free, or a stale pointer.</summary>
    DoubleFree,

    /// <summary>The address is not on an allocation boundary of its area and inside no live allocation.</summary>
    Misaligned,

    /// <summary>
    /// No allocation has ever started at the address (nothing was handed out there, or allocations only passed
    /// through it), and no live allocation holds it.
    /// </summary>
    NeverAllocated,

    /// <summary>
    /// No live allocation starts at the address, which is on an allocation boundary and inside none, and the area
    /// keeps no record that tells whether one did: never allocated, or freed already. Only the block area says
    /// this, of a block a page's current or last carving never handed out (an earlier carving of the page, of
    /// another size class, may have).
    /// </summary>
    NotAllocated,
}
