using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Arch;

/// <summary>
/// The SYSCALL instruction's way into the kernel (SDM Vol. 3A, 5.8.8): EFER.SCE on, STAR naming the
/// kernel's and the user's segments, LSTAR the entry stub (syscall.asm), FMASK the RFLAGS bits to clear on
/// entry. The stub saves an <see cref="InterruptFrame"/> and calls the handler the system-call layer
/// registered, which reads the number and arguments from the frame and writes the result to its RAX.
/// </summary>
internal static unsafe class SyscallGate
{
    /// <summary>The <see cref="InterruptFrame.Vector"/> of a frame saved by a system call (not a real vector).</summary>
    public const ulong Vector = 0x100;

    private const uint MsrEfer = 0xC000_0080;
    private const uint MsrStar = 0xC000_0081;
    private const uint MsrLstar = 0xC000_0082;
    private const uint MsrFmask = 0xC000_0084;
    private const ulong EferSystemCallExtensions = 1UL << 0;

    // SYSRET loads CS from STAR[63:48] + 16 and SS from STAR[63:48] + 8, both with RPL 3; SYSCALL loads CS
    // from STAR[47:32] and SS from it + 8. With the GDT's order (kernel code, kernel data, user data, user
    // code) the base for SYSRET is the kernel data selector.
    private const int StarSyscallShift = 32;
    private const int StarSysretShift = 48;

    // Cleared on entry: TF (no single-stepping into the kernel), IF (interrupts stay off until the stub is
    // on the kernel stack), DF (the ABI's direction), IOPL, NT, and AC (which would switch SMAP off).
    private const ulong EntryClearedFlags = (1UL << 8) | (1UL << 9) | (1UL << 10) | (3UL << 12) | (1UL << 14) | (1UL << 18);

    [RuntimeImport("*", "KernelSyscallEntryAddress")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong EntryAddress();

    private static delegate*<InterruptFrame*, void> s_handler;

    /// <summary>Enables SYSCALL/SYSRET and sends every system call to <paramref name="handler"/>.</summary>
    public static void Initialize(delegate*<InterruptFrame*, void> handler)
    {
        s_handler = handler;
        Cpu.WriteMsr(MsrStar, ((ulong)Gdt.KernelData << StarSysretShift) | ((ulong)Gdt.KernelCode << StarSyscallShift));
        Cpu.WriteMsr(MsrLstar, EntryAddress());
        Cpu.WriteMsr(MsrFmask, EntryClearedFlags);
        Cpu.WriteMsr(MsrEfer, Cpu.ReadMsr(MsrEfer) | EferSystemCallExtensions);
    }

    [UnmanagedCallersOnly(EntryPoint = "KernelSyscallDispatch")]
    private static void Dispatch(InterruptFrame* frame)
    {
        s_handler(frame);
        Interrupts.ReturnToUser(frame);
    }
}
