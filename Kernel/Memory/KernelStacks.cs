using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Memory
{
    /// <summary>The kernel stacks and the guard pages beneath them (boot.asm reserves the boot stack).</summary>
    internal static class KernelStacks
    {
        [RuntimeImport("*", "KernelBootStackGuard")] [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ulong BootStackGuard();

        [RuntimeImport("*", "KernelBootStackTop")] [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ulong BootStackTop();

        public static bool IsGuardPage(ulong address)
        {
            ulong guard = BootStackGuard();
            return address >= guard && address < guard + 0x1000;
        }
    }
}
