using Kernel.Boot;
using Kernel.Mem;

namespace Kernel.Memory;

/// <summary>Kernel.Mem's physical-memory seam on the machine: the direct map (identity map at boot).</summary>
internal readonly unsafe struct KernelPhysicalMemory : IPhysicalMemory
{
    public byte* Access(ulong physical) => (byte*)PhysicalMemory.ToVirtual(physical);
}
