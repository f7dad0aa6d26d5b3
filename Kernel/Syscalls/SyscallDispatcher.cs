using Kernel.Abi;
using Kernel.Arch;

namespace Kernel.Syscalls;

/// <summary>
/// Decodes a system call from the saved frame (the Linux x86-64 convention: rax the number; rdi, rsi, rdx,
/// r10, r8, r9 the arguments) and puts the result, or a negative errno, in the frame's rax. Every argument
/// is untrusted: each handler checks its own, and unknown numbers are -ENOSYS.
/// </summary>
internal static unsafe class SyscallDispatcher
{
    private static ulong s_calls;

    public static ulong Calls => s_calls;

    public static void Initialize() => SyscallGate.Initialize(&Dispatch);

    private static void Dispatch(InterruptFrame* frame)
    {
        s_calls++;
        frame->Rax = (ulong)Call((long)frame->Rax, frame->Rdi, frame->Rsi, frame->Rdx, frame->R10, frame->R8);
    }

    private static long Call(long number, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4)
    {
        switch ((SyscallNumber)number)
        {
            case SyscallNumber.Write:
                return ConsoleCalls.Write((long)a0, a1, a2);
            case SyscallNumber.SchedYield:
                return TimeCalls.Yield();
            case SyscallNumber.Nanosleep:
                return TimeCalls.Sleep(a0, a1);
            case SyscallNumber.GetPid:
                return ProcessCalls.GetPid();
            case SyscallNumber.Exit:
            case SyscallNumber.ExitGroup:
                return ProcessCalls.Exit((long)a0);
            case SyscallNumber.Wait4:
                return ProcessCalls.Wait((long)a0, a1, (long)a2, a3);
            case SyscallNumber.Kill:
                return ProcessCalls.Kill((long)a0, (long)a1);
            case SyscallNumber.Spawn:
                return ProcessCalls.Spawn(a0, a1);
            case SyscallNumber.MemoryCounters:
                return MemoryCalls.Counters(a0);
            case SyscallNumber.Abort:
                return ProcessCalls.Abort(a0, a1, a2);
            case SyscallNumber.AllocateUserMemory:
                return MemoryCalls.AllocateUserMemory(a0, a1);
            case SyscallNumber.FreeUserMemory:
                return MemoryCalls.FreeUserMemory(a0, a1);
            case SyscallNumber.LockAll:
                return MemoryCalls.LockAll(a0);
            case SyscallNumber.ClockGetTime:
                return TimeCalls.GetTime((long)a0, a1);
            default:
                return -Errno.ENOSYS;
        }
    }
}
