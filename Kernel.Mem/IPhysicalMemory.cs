namespace Kernel.Mem;

/// <summary>
/// How Kernel.Mem reaches physical memory. On the machine this is the kernel's direct map
/// (physical address + a constant offset); in the host tests it is a pinned byte array that plays RAM.
/// Used through struct-constrained generics (<c>where TMem : struct, IPhysicalMemory</c>) so the kernel
/// pays no interface dispatch.
/// </summary>
public unsafe interface IPhysicalMemory
{
    /// <summary>
    /// Returns a pointer through which the byte at <paramref name="physical"/> can be read and written.
    /// The caller must pass an address inside RAM that the memory manager owns; the pointer stays valid
    /// for the whole frame that contains it.
    /// </summary>
    byte* Access(ulong physical);
}
