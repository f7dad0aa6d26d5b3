using System.Runtime.InteropServices;

namespace Kernel.Arch;

/// <summary>
/// What interrupts.asm leaves on the stack: the general registers it pushed (r15 lowest), the vector
/// and error code, then what the CPU pushed (SDM Vol. 3A, 6.14.1: RIP, CS, RFLAGS, RSP, SS).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct InterruptFrame
{
    public ulong R15, R14, R13, R12, R11, R10, R9, R8;
    public ulong Rbp, Rdi, Rsi, Rdx, Rcx, Rbx, Rax;
    public ulong Vector;
    public ulong ErrorCode;
    public ulong Rip;
    public ulong Cs;
    public ulong Rflags;
    public ulong Rsp;
    public ulong Ss;
}
