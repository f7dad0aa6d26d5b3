namespace Kernel.Memory
{
    /// <summary>The kernel's virtual address layout (see shared ARCHITECTURE.md, "Address space").</summary>
    internal static class KernelLayout
    {
        /// <summary>Start of the kernel heap region in the higher half.</summary>
        public const ulong KernelHeapBase = 0xFFFF_C000_0000_0000;
        public const ulong KernelHeapSize = 64UL << 30;

        public static bool IsKernelHeapAddress(ulong address) => address >= KernelHeapBase && address - KernelHeapBase < KernelHeapSize;
    }
}
