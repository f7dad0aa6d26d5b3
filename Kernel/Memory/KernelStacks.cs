using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Memory;

/// <summary>
/// The kernel stacks and the guard pages beneath them: the boot stack (the shell's thread) and the
/// interrupt stack used for double faults and NMIs, reserved in boot.asm, and the stacks of other threads
/// (<see cref="ThreadStacks"/>).
/// </summary>
internal static class KernelStacks
{
    [RuntimeImport("*", "KernelBootStackGuard")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern ulong BootStackGuard();

    [RuntimeImport("*", "KernelBootStackTop")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern ulong BootStackTop();

    [RuntimeImport("*", "KernelIstStackGuard")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern ulong IstStackGuard();

    [RuntimeImport("*", "KernelIstStackTop")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern ulong IstStackTop();

    private const ulong GuardSize = 0x1000;

    /// <summary>
    /// The top of the kernel stack that holds <paramref name="address"/> (the boot or the interrupt stack),
    /// or the page above it when the address is on neither: a backtrace never reads past a stack's end.
    /// </summary>
    public static ulong TopOfStackContaining(ulong address)
    {
        if (address > BootStackGuard() && address < BootStackTop())
        {
            return BootStackTop();
        }
        if (address > IstStackGuard() && address < IstStackTop())
        {
            return IstStackTop();
        }
        if (KernelLayout.IsThreadStackAddress(address))
        {
            return ThreadStacks.TopOf(address);
        }
        return (address & ~(GuardSize - 1)) + GuardSize;
    }

    public static bool IsGuardPage(ulong address)
    {
        return address - BootStackGuard() < GuardSize || address - IstStackGuard() < GuardSize || ThreadStacks.IsGuard(address);
    }
}
