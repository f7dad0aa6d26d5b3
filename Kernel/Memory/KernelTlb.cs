using Kernel.Arch;
using Kernel.Mem;

namespace Kernel.Memory
{
    /// <summary>Kernel.Mem's TLB seam on the machine: <c>invlpg</c> for one page, a CR3 reload for all.</summary>
    internal readonly struct KernelTlb : ITlb
    {
        public void Invalidate(ulong virtualAddress) => Cpu.InvalidatePage(virtualAddress);

        // Reloading CR3 drops every non-global translation (SDM Vol. 3A, 4.10.4.1).
        public void InvalidateAll() => Cpu.WriteCr3(Cpu.ReadCr3());
    }
}
