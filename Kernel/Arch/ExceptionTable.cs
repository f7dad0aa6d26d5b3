using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Arch;

/// <summary>
/// The kernel instructions that may fault on purpose — each access to user memory in usercopy.asm —
/// listed with the fixup to resume at, as Linux's exception tables do. A fault at any other kernel
/// instruction is a bug and panics.
/// </summary>
internal static unsafe class ExceptionTable
{
    [RuntimeImport("*", "KernelExceptionTableAddress")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong* Entries();

    /// <summary>Whether <paramref name="rip"/> is a listed instruction; then <paramref name="fixup"/> is where to resume.</summary>
    public static bool TryFind(ulong rip, out ulong fixup)
    {
        for (ulong* entry = Entries(); entry[0] != 0; entry += 2)
        {
            if (entry[0] == rip)
            {
                fixup = entry[1];
                return true;
            }
        }
        fixup = 0;
        return false;
    }
}
