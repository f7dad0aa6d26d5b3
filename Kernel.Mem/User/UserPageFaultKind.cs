namespace Kernel.Mem.User;

/// <summary>What a page fault raised in ring 3 was, as far as its address and error code tell.</summary>
public enum UserPageFaultKind
{
    /// <summary>An access below <see cref="UserLayout.LowestAddress"/>: a null pointer, or a small offset from one.</summary>
    NullPointer,

    /// <summary>An access to the kernel half: present or not, it is never the program's.</summary>
    KernelAddress,

    /// <summary>The guard page under the stack: the stack ran out.</summary>
    StackOverflow,

    /// <summary>A write to a present page that is not writable (text, read-only data).</summary>
    WriteToReadOnly,

    /// <summary>An instruction fetch from a present no-execute page (stack, heap, data).</summary>
    ExecuteNoExecute,

    /// <summary>An access to a user-heap page that is not reserved: freed, or never allocated.</summary>
    HeapNotReserved,

    /// <summary>An access to a user address where nothing is mapped or reserved.</summary>
    NotMapped,

    /// <summary>The CPU found a reserved bit set in a paging entry: a kernel bug, reported rather than hidden.</summary>
    ReservedBit,
}
