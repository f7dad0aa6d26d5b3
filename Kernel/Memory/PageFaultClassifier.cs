namespace Kernel.Memory
{
    /// <summary>
    /// Names the cause of a kernel page fault from the faulting address and the error code, so the panic
    /// says "null reference" or "write to read-only page" rather than only "page fault".
    /// </summary>
    internal static class PageFaultClassifier
    {
        private const ulong NullPageLimit = 0x1000;
        private const ulong ErrorPresent = 1 << 0;
        private const ulong ErrorWrite = 1 << 1;
        private const ulong ErrorUser = 1 << 2;
        private const ulong ErrorReservedBit = 1 << 3;
        private const ulong ErrorInstructionFetch = 1 << 4;

        public static string Classify(ulong address, ulong errorCode)
        {
            if (address < NullPageLimit)
            {
                return "page fault: null reference";
            }
            if (!IsCanonical(address))
            {
                return "page fault: non-canonical address";
            }
            if (KernelStacks.IsGuardPage(address))
            {
                return "page fault: kernel stack overflow (guard page hit)";
            }
            if ((errorCode & ErrorReservedBit) != 0)
            {
                return "page fault: reserved bit set in a page-table entry";
            }
            if ((errorCode & ErrorPresent) != 0)
            {
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

        /// <summary>Bits 63..47 must all equal bit 47 (SDM Vol. 1, 3.3.7.1).</summary>
        public static bool IsCanonical(ulong address)
        {
            ulong upper = address >> 47;
            return upper == 0 || upper == 0x1FFFF;
        }
    }
}
