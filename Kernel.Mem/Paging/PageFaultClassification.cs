namespace Kernel.Mem.Paging;

/// <summary>
/// Names the cause of a page fault from its error code and the state the CPU checked it against, by the
/// access rules of Intel SDM Vol. 3A, 4.6.1. Hardware-free: the kernel reads CR4, RFLAGS and the error
/// code and passes them in.
/// </summary>
public static class PageFaultClassification
{
    /// <summary>
    /// Classifies a fault. <paramref name="userPage"/> says whether the page is a user page (U/S set at every
    /// level); <paramref name="smep"/> and <paramref name="smap"/> are CR4.SMEP and CR4.SMAP when the fault
    /// was taken, <paramref name="alignmentCheck"/> is RFLAGS.AC of the faulting context (set, it lets
    /// explicit supervisor data accesses reach user pages under SMAP).
    /// </summary>
    /// <remarks>
    /// A supervisor access to a present user page faults for SMEP only if it is a fetch and CR4.SMEP is on,
    /// for SMAP only if it is a data access, CR4.SMAP is on and AC is clear; otherwise the page's own rights
    /// (XD, R/W) caused it. Not-present and reserved-bit faults are named before any rights are considered.
    /// </remarks>
    public static PageFaultCause Classify(PageFaultErrorCode errorCode, bool userPage, bool smep, bool smap, bool alignmentCheck)
    {
        if ((errorCode & PageFaultErrorCode.ReservedBit) != 0)
        {
            return PageFaultCause.ReservedBit;
        }
        if ((errorCode & PageFaultErrorCode.Present) == 0)
        {
            return PageFaultCause.NotPresent;
        }
        if ((errorCode & PageFaultErrorCode.ProtectionKey) != 0)
        {
            return PageFaultCause.ProtectionKey;
        }
        if ((errorCode & PageFaultErrorCode.ShadowStack) != 0)
        {
            return PageFaultCause.ShadowStack;
        }

        bool fetch = (errorCode & PageFaultErrorCode.InstructionFetch) != 0;
        bool write = (errorCode & PageFaultErrorCode.Write) != 0;
        if ((errorCode & PageFaultErrorCode.User) != 0)
        {
            // In user mode U/S is checked first: a supervisor page refuses every kind of access.
            if (!userPage)
            {
                return PageFaultCause.UserAccessToSupervisorPage;
            }
        }
        else if (userPage)
        {
            if (fetch && smep)
            {
                return PageFaultCause.SupervisorFetchFromUserPage;
            }
            if (!fetch && smap && !alignmentCheck)
            {
                return PageFaultCause.SupervisorAccessToUserPage;
            }
        }
        if (fetch)
        {
            return PageFaultCause.ExecuteOfNoExecutePage;
        }
        return write ? PageFaultCause.WriteToReadOnlyPage : PageFaultCause.ProtectionViolation;
    }
}
