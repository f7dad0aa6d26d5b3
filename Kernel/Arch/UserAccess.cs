using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Arch;

/// <summary>
/// The fault-tolerant copies between kernel and user memory (usercopy.asm) and the SMAP switch they
/// honour. They do not check ranges: the memory layer does that first (Memory/UserMemory.cs).
/// </summary>
internal static unsafe class UserAccess
{
    [RuntimeImport("*", "KernelCopyUser")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern long Copy(void* destination, void* source, ulong count);

    [RuntimeImport("*", "KernelCopyUserString")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern long CopyString(byte* destination, byte* source, ulong capacity);

    [RuntimeImport("*", "KernelSetSmapEnabled")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void SetSmapEnabled(int enabled);

    /// <summary>Called once CR4.SMAP is on: from then on the copies and the entry stubs use STAC/CLAC.</summary>
    public static void UseSmap() => SetSmapEnabled(1);
}
