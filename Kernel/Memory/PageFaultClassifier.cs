namespace Kernel.Memory
{
    /// <summary>
    /// Names the cause of a kernel page fault from the faulting address, the error code and the stack
    /// pointer, so the panic says "null reference" or "write to a read-only page" rather than only "page
    /// fault". A non-canonical address never reaches here: it raises #GP (or #SS), not #PF (SDM Vol. 3A,
    /// 6.15), and the panic screen names that case itself.
    /// </summary>
    internal static class PageFaultClassifier
    {
        private const ulong NullPageLimit = 0x1000;
        private const ulong PageSize = 0x1000;
        private const ulong ErrorPresent = 1 << 0;
        private const ulong ErrorWrite = 1 << 1;
        private const ulong ErrorUser = 1 << 2;
        private const ulong ErrorReservedBit = 1 << 3;
        private const ulong ErrorInstructionFetch = 1 << 4;

        // The stack pointer of an overflow is within a push or a frame of the guard page it ran into: in the
        // guard itself (the faulting push), or at most a page above it (a large frame reaching down).
        private const ulong OverflowReach = 2 * PageSize;

        // Everything below the canonical hole is the lower half: user space (SDM Vol. 1, 3.3.7.1).
        private const ulong LowerHalfEnd = 0x0000_8000_0000_0000;

        public static string Classify(ulong address, ulong errorCode, ulong stackPointer)
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
            if ((errorCode & ErrorReservedBit) != 0)
            {
                return "page fault: reserved bit set in a page-table entry";
            }
            if ((errorCode & ErrorPresent) != 0)
            {
                // A present lower-half page is a user page: a supervisor access to it faults only through
                // CR4.SMEP (instruction fetch) or CR4.SMAP (data access), whatever the page's other rights.
                if ((errorCode & ErrorUser) == 0 && address < LowerHalfEnd)
                {
                    return (errorCode & ErrorInstructionFetch) != 0
                        ? "page fault: instruction fetch from a user page (SMEP)"
                        : "page fault: supervisor access to a user page (SMAP)";
                }
                if ((errorCode & ErrorInstructionFetch) != 0)
                {
                    return "page fault: execute of a no-execute page";
                }
                if ((errorCode & ErrorWrite) != 0)
                {
                    return "page fault: write to a read-only page";
                }
                return (errorCode & ErrorUser) != 0 ? "page fault: user access to a supervisor page" : "page fault: protection violation";
            }
            if (KernelLayout.IsKernelHeapAddress(address))
            {
                return "page fault: unmapped kernel heap address (freed or never allocated)";
            }
            return "page fault: unmapped address";
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
}
