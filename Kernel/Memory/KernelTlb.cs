using Kernel.Arch;
using Kernel.Mem;
using Kernel.Mem.Paging;

namespace Kernel.Memory;

/// <summary>
/// Kernel.Mem's TLB seam on the machine. It also owns CR3: <see cref="Activate"/> is the one place an
/// address space is switched to, so the seam knows which one the CPU runs on. A change in the kernel half
/// (shared by every address space, mapped global) or in the running address space is invalidated with
/// <c>invlpg</c>; a change in another address space needs nothing, since switching CR3 to it later drops
/// every non-global translation (SDM Vol. 3A, 4.10.4.1; no PCIDs are used).
/// </summary>
internal readonly struct KernelTlb : ITlb
{
    private static ulong s_activeRoot;

    /// <summary>The root table (PML4) the CPU is running on.</summary>
    public static ulong ActiveRoot => s_activeRoot;

    /// <summary>Switches the CPU to the address space at <paramref name="rootTable"/> (nothing when it runs there already).</summary>
    public static void Activate(ulong rootTable)
    {
        if (rootTable != s_activeRoot)
        {
            s_activeRoot = rootTable;
            Cpu.WriteCr3(rootTable);
        }
    }

    public void Invalidate(ulong rootTable, ulong virtualAddress)
    {
        if (rootTable == s_activeRoot || VirtualAddressLayout.IsUpperHalf(virtualAddress))
        {
            Cpu.InvalidatePage(virtualAddress);
        }
    }

    // Reloading CR3 drops every non-global translation of the running address space.
    public void InvalidateAll(ulong rootTable)
    {
        if (rootTable == s_activeRoot)
        {
            Cpu.WriteCr3(rootTable);
        }
    }
}
