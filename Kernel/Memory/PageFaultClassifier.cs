using Kernel.Arch;
using Kernel.Mem.Paging;

namespace Kernel.Memory;

/// <summary>
/// Names the cause of a kernel page fault from the faulting address, the error code, the stack pointer,
/// RFLAGS and CR4, so the panic says "null reference" or "write to a read-only page" rather than only
/// "page fault". The kernel's own places (page 0, the stack guards, the heap) are recognised here; the
/// rest is <see cref="PageFaultClassification"/>, the SDM's access rules, host-tested. A non-canonical
/// address never reaches here: it raises #GP (or #SS), not #PF (SDM Vol. 3A, 6.15), and the panic screen
/// names that case itself.
/// </summary>
internal static class PageFaultClassifier
{
    private const ulong NullPageLimit = 0x1000;
    private const ulong PageSize = 0x1000;
    private const ulong RflagsAlignmentCheck = 1UL << 18;

    // The stack pointer of an overflow is within a push or a frame of the guard page it ran into: in the
    // guard itself (the faulting push), or at most a page above it (a large frame reaching down).
    private const ulong OverflowReach = 2 * PageSize;

    /// <summary>Names a fault taken just now: CR4 is read here, RFLAGS is the faulting context's.</summary>
    public static string Classify(ulong address, ulong errorCode, ulong stackPointer, ulong rflags)
        => Classify(address, errorCode, stackPointer, rflags, Cpu.ReadCr4());

    public static string Classify(ulong address, ulong errorCode, ulong stackPointer, ulong rflags, ulong cr4)
    {
        if (address < NullPageLimit)
        {
            return "page fault: null reference";
        }
        if (KernelStacks.IsGuardPage(address))
        {
            return IsStackOverflow(address, stackPointer)
                ? "page fault: kernel stack overflow (guard page hit)"
                : "page fault: access to a stack guard page (not by the stack pointer)";
        }

        // User pages exist only in the lower half (the mapper refuses them above), and the kernel maps
        // nothing of its own there: a present lower-half page is a user page.
        bool userPage = address < VirtualAddressLayout.LowerHalfEnd;
        PageFaultCause cause = PageFaultClassification.Classify(
            (PageFaultErrorCode)errorCode, userPage, (cr4 & Cr4.Smep) != 0, (cr4 & Cr4.Smap) != 0, (rflags & RflagsAlignmentCheck) != 0);
        switch (cause)
        {
            case PageFaultCause.NotPresent:
                return KernelLayout.IsKernelHeapAddress(address)
                    ? "page fault: unmapped kernel heap address (freed or never allocated)"
                    : "page fault: unmapped address";
            case PageFaultCause.ReservedBit:
                return "page fault: reserved bit set in a page-table entry";
            case PageFaultCause.SupervisorFetchFromUserPage:
                return "page fault: instruction fetch from a user page (SMEP)";
            case PageFaultCause.SupervisorAccessToUserPage:
                return "page fault: supervisor access to a user page (SMAP)";
            case PageFaultCause.ExecuteOfNoExecutePage:
                return "page fault: execute of a no-execute page";
            case PageFaultCause.WriteToReadOnlyPage:
                return "page fault: write to a read-only page";
            case PageFaultCause.UserAccessToSupervisorPage:
                return "page fault: user access to a supervisor page";
            case PageFaultCause.ProtectionKey:
                return "page fault: protection key";
            case PageFaultCause.ShadowStack:
                return "page fault: shadow-stack access";
            default:
                return "page fault: protection violation";
        }
    }

    /// <summary>
    /// A guard-page access is an overflow when the stack pointer is at the guard or within
    /// <see cref="OverflowReach"/> above it; any other access to a guard page (a stray pointer) is not.
    /// </summary>
    public static bool IsStackOverflow(ulong address, ulong stackPointer)
    {
        ulong guard = address & ~(PageSize - 1);
        return stackPointer >= guard && stackPointer - guard < PageSize + OverflowReach;
    }
}
