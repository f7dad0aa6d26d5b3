namespace Kernel.Memory
{
    /// <summary>
    /// How the kernel reaches a physical address. Until the memory manager switches to its own page tables
    /// the boot stub's identity map of the first 4 GiB is the view (offset 0); afterwards every physical
    /// address is reached through the direct map at <see cref="KernelLayout.DirectMapBase"/>.
    /// </summary>
    internal static class PhysicalMemory
    {
        /// <summary>The end of the boot stub's identity map (boot.asm): all that is reachable before <see cref="UseDirectMap"/>.</summary>
        public const ulong BootIdentityMapEnd = 4 * Mem.MemConstants.GiB;

        private static ulong s_offset;

        public static ulong ToVirtual(ulong physical) => physical + s_offset;

        /// <summary>Called once, right after CR3 holds the kernel's own tables.</summary>
        public static void UseDirectMap() => s_offset = KernelLayout.DirectMapBase;
    }
}
