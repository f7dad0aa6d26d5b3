using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Memory;

/// <summary>The kernel image's section bounds, as the linker script placed them (boot.asm exports them).</summary>
internal unsafe struct KernelImageLayout
{
    public ulong PhysicalStart;
    public ulong PhysicalEnd;
    public ulong BootEnd;
    public ulong TextStart;
    public ulong TextEnd;
    public ulong ReadOnlyStart;
    public ulong ReadOnlyEnd;
    public ulong DataStart;
    public ulong DataEnd;
    public ulong VirtualEnd;
    public ulong VirtualBase;

    [RuntimeImport("*", "KernelImageLayout")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern KernelImageLayout* Table();

    public static KernelImageLayout Read() => *Table();

    public ulong PhysicalOf(ulong virtualAddress) => virtualAddress - VirtualBase;
}
