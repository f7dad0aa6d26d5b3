namespace Kernel.Memory
{
    /// <summary>
    /// How the kernel reaches a physical address. The boot stub identity-maps the first 4 GiB, so for now
    /// a physical address below 4 GiB is its own virtual address.
    /// </summary>
    internal static class PhysicalMemory
    {
        public static ulong ToVirtual(ulong physical) => physical;
    }
}
