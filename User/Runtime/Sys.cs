using System.Runtime;
using System.Runtime.CompilerServices;
using Kernel.Abi;

namespace UserRuntime;

/// <summary>
/// The system calls, one method each, returning what the kernel returned: a result, or a negative
/// <see cref="Errno"/>. This is the only way a program reaches the kernel.
/// </summary>
public static unsafe class Sys
{
    [RuntimeImport("*", "UserSyscall")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern long Call(long number, long a0, long a1, long a2, long a3, long a4);

    [RuntimeImport("*", "UserCodePrivilegeLevel")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern int CodePrivilegeLevel();

    /// <summary>Any system call by number, with raw arguments: for programs that test the kernel's checks.</summary>
    public static long Raw(long number, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0) => Call(number, a0, a1, a2, a3, a4);

    public static long Write(int fd, byte* buffer, ulong count) => Call((long)SyscallNumber.Write, fd, (long)buffer, (long)count, 0, 0);

    public static long Yield() => Call((long)SyscallNumber.SchedYield, 0, 0, 0, 0, 0);

    public static long Sleep(TimeSpec* request, TimeSpec* remaining) => Call((long)SyscallNumber.Nanosleep, (long)request, (long)remaining, 0, 0, 0);

    /// <summary>Sleeps at least <paramref name="milliseconds"/>.</summary>
    public static long SleepMilliseconds(long milliseconds)
    {
        TimeSpec request;
        request.Seconds = milliseconds / 1000;
        request.Nanoseconds = milliseconds % 1000 * 1000000;
        return Sleep(&request, null);
    }

    public static long GetPid() => Call((long)SyscallNumber.GetPid, 0, 0, 0, 0, 0);

    public static void Exit(int status)
    {
        Call((long)SyscallNumber.Exit, status, 0, 0, 0, 0);
    }

    public static long Wait(long pid, int* status, long options) => Call((long)SyscallNumber.Wait4, pid, (long)status, options, 0, 0);

    public static long Kill(long pid, int signal) => Call((long)SyscallNumber.Kill, pid, signal, 0, 0, 0);

    /// <summary>Starts program <paramref name="name"/> (NUL-terminated) with the null-terminated <paramref name="argv"/>.</summary>
    public static long Spawn(byte* name, byte** argv) => Call((long)SyscallNumber.Spawn, (long)name, (long)argv, 0, 0, 0);

    /// <summary>Milliseconds since boot (clock_gettime CLOCK_MONOTONIC).</summary>
    public static long UptimeMilliseconds()
    {
        TimeSpec time;
        Call((long)SyscallNumber.ClockGetTime, 1, (long)&time, 0, 0, 0);
        return time.Seconds * 1000 + time.Nanoseconds / 1000000;
    }

    /// <summary>mlockall(MCL_CURRENT): every page resident now stays resident for good, out of the working set.</summary>
    public static long LockAllCurrent() => Call((long)SyscallNumber.LockAll, 1, 0, 0, 0, 0);

    public static long GetMemoryCounters(MemoryCounters* counters) => Call((long)SyscallNumber.MemoryCounters, (long)counters, 0, 0, 0, 0);

    /// <summary>
    /// Ends the process as killed with the <paramref name="length"/> bytes at <paramref name="reason"/> as the
    /// reason; with an exception's MethodTable in <paramref name="exceptionType"/> the kernel prefixes
    /// "unhandled exception TYPE: ".
    /// </summary>
    public static void Abort(byte* reason, ulong length, ulong exceptionType)
    {
        Call((long)SyscallNumber.Abort, (long)reason, (long)length, (long)exceptionType, 0, 0);
    }
}
