using Kernel.Mem.Paging;

namespace Kernel.Mem.User;

/// <summary>
/// Names a page fault raised in ring 3 from the faulting address (CR2) and the error code the CPU pushed
/// (<see cref="PageFaultErrorCode"/>). The page-fault handler first gives a fault the chance to be
/// resolved (a reserved heap page is backed); whatever is left ends the process with this description.
/// </summary>
public static class UserPageFault
{
    public static UserPageFaultKind Classify(ulong address, ulong errorCode)
    {
        if ((errorCode & (ulong)PageFaultErrorCode.ReservedBit) != 0)
        {
            return UserPageFaultKind.ReservedBit;
        }
        if (address >= UserLayout.End)
        {
            return UserPageFaultKind.KernelAddress;
        }
        if (address < UserLayout.LowestAddress)
        {
            return UserPageFaultKind.NullPointer;
        }
        if (address >= UserLayout.StackGuard && address < UserLayout.StackBottom)
        {
            return UserPageFaultKind.StackOverflow;
        }
        if ((errorCode & (ulong)PageFaultErrorCode.Present) != 0)
        {
            if ((errorCode & (ulong)PageFaultErrorCode.InstructionFetch) != 0)
            {
                return UserPageFaultKind.ExecuteNoExecute;
            }
            if ((errorCode & (ulong)PageFaultErrorCode.Write) != 0)
            {
                return UserPageFaultKind.WriteToReadOnly;
            }
            return UserPageFaultKind.NotMapped;
        }
        // A reserved heap page never gets here: its first touch is backed. What is left is a page nobody reserved.
        return UserLayout.IsHeapRange(MemConstants.AlignDown(address, MemConstants.PageSize), MemConstants.PageSize)
            ? UserPageFaultKind.HeapNotReserved
            : UserPageFaultKind.NotMapped;
    }

    /// <summary>"read of", "write to" or "execute of", from the error code.</summary>
    public static string Access(ulong errorCode)
    {
        if ((errorCode & (ulong)PageFaultErrorCode.InstructionFetch) != 0)
        {
            return "execute of";
        }
        return (errorCode & (ulong)PageFaultErrorCode.Write) != 0 ? "write to" : "read of";
    }

    /// <summary>
    /// The words before the address in the kill reason: "write to a kernel address", "stack overflow: guard
    /// page", "read of a null pointer"... The caller appends the address and " at rip ...".
    /// </summary>
    public static string Describe(UserPageFaultKind kind, ulong errorCode)
    {
        switch (kind)
        {
            case UserPageFaultKind.NullPointer:
                return (errorCode & (ulong)PageFaultErrorCode.InstructionFetch) != 0 ? "execute of a null pointer" : (errorCode & (ulong)PageFaultErrorCode.Write) != 0 ? "write through a null pointer" : "read through a null pointer";
            case UserPageFaultKind.KernelAddress:
                return (errorCode & (ulong)PageFaultErrorCode.InstructionFetch) != 0 ? "execute of a kernel address" : (errorCode & (ulong)PageFaultErrorCode.Write) != 0 ? "write to a kernel address" : "read of a kernel address";
            case UserPageFaultKind.StackOverflow:
                return "stack overflow: guard page hit";
            case UserPageFaultKind.WriteToReadOnly:
                return "write to a read-only page";
            case UserPageFaultKind.ExecuteNoExecute:
                return "execute of a no-execute page";
            case UserPageFaultKind.HeapNotReserved:
                return (errorCode & (ulong)PageFaultErrorCode.InstructionFetch) != 0 ? "execute of a heap page that is not reserved (freed or never allocated)"
                    : (errorCode & (ulong)PageFaultErrorCode.Write) != 0 ? "write to a heap page that is not reserved (freed or never allocated)"
                    : "read of a heap page that is not reserved (freed or never allocated)";
            case UserPageFaultKind.NotMapped:
                return (errorCode & (ulong)PageFaultErrorCode.InstructionFetch) != 0 ? "execute of an unmapped address" : (errorCode & (ulong)PageFaultErrorCode.Write) != 0 ? "write to an unmapped address" : "read of an unmapped address";
            default:
                return "page fault with a reserved bit set in a page-table entry";
        }
    }
}
