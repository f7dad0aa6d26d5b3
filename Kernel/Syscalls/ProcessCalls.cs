using Kernel.Abi;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Syscalls;

/// <summary>getpid, exit, wait4, kill, and this kernel's spawn and abort.</summary>
internal static unsafe class ProcessCalls
{
    public const int MaxArguments = 32;
    public const int MaxArgumentBytes = 2048;

    // struct rusage is 18 words on x86-64 Linux; wait4 reports no usage, so it is zeroed.
    private const int ResourceUsageBytes = 144;
    private const int MaxAbortReason = 120;

    public static long GetPid() => ProcessManager.Current.Pid;

    public static long Exit(long status)
    {
        ProcessManager.Exit((int)status);
        return 0;
    }

    /// <summary>
    /// wait4(pid, status, options, rusage) for pid -1 (any child) or a child's pid, with WNOHANG or no
    /// option. The status and rusage pointers are checked by writing to them before a child is reaped, so
    /// a bad pointer is -EFAULT and the child's record is not lost.
    /// </summary>
    public static long Wait(long pid, ulong status, long options, ulong usage)
    {
        if ((options & ~WaitStatus.NoHang) != 0 || pid == 0 || pid < -1)
        {
            return -Errno.EINVAL;
        }
        int word = 0;
        if (status != 0)
        {
            long probe = UserMemory.CopyTo(status, &word, sizeof(int));
            if (probe < 0)
            {
                return probe;
            }
        }
        if (usage != 0)
        {
            byte* zeros = stackalloc byte[ResourceUsageBytes];
            for (int i = 0; i < ResourceUsageBytes; i++)
            {
                zeros[i] = 0;
            }
            long probe = UserMemory.CopyTo(usage, zeros, ResourceUsageBytes);
            if (probe < 0)
            {
                return probe;
            }
        }
        long result = ProcessManager.WaitForChild(pid, (options & WaitStatus.NoHang) != 0, out word);
        if (result > 0 && status != 0)
        {
            UserMemory.CopyTo(status, &word, sizeof(int));
        }
        return result;
    }

    /// <summary>
    /// kill(pid, signal): any signal 1..64 ends a user process (there is no signal delivery); 0 only checks
    /// that it exists. -EINVAL for pid 0 or below (no process groups) or a bad signal, -ESRCH for no such live
    /// process, -EPERM for the kernel's own tasks.
    /// </summary>
    public static long Kill(long pid, long signal)
    {
        if (pid <= 0 || signal < 0 || signal > 64)
        {
            return -Errno.EINVAL;
        }
        Process target = ProcessTable.Find(pid);
        if (target == null || target.State != ProcessState.Live)
        {
            return -Errno.ESRCH;
        }
        if (target.IsKernelTask)
        {
            return -Errno.EPERM;
        }
        if (signal == 0)
        {
            return 0;
        }
        if (ProcessManager.RequestKill(target, (int)signal, out ReasonBuilder reason))
        {
            reason.Text("signal ").Decimal((ulong)signal).Text(" from process ").Decimal((ulong)ProcessManager.Current.Pid);
        }
        return 0;
    }

    /// <summary>
    /// spawn(name, argv): argv a null-terminated array of pointers to NUL-terminated strings (may be null:
    /// no arguments). Returns the child's pid; -EFAULT, -ENAMETOOLONG, -E2BIG for bad arguments, and the
    /// errors of <see cref="ProcessManager.Spawn"/>.
    /// </summary>
    public static long Spawn(ulong name, ulong argv)
    {
        byte* programName = stackalloc byte[ProgramImages.MaxNameLength + 1];
        long nameLength = UserMemory.CopyString(programName, name, ProgramImages.MaxNameLength + 1);
        if (nameLength < 0)
        {
            return nameLength;
        }
        byte* text = stackalloc byte[MaxArgumentBytes];
        byte** arguments = stackalloc byte*[MaxArguments];
        ulong* lengths = stackalloc ulong[MaxArguments];
        int count = 0;
        ulong used = 0;
        while (argv != 0)
        {
            ulong pointer;
            long status = UserMemory.CopyFrom(&pointer, argv + (ulong)count * 8, 8);
            if (status < 0)
            {
                return status;
            }
            if (pointer == 0)
            {
                break;
            }
            if (count == MaxArguments)
            {
                return -Errno.E2BIG;
            }
            long length = UserMemory.CopyString(text + used, pointer, MaxArgumentBytes - used);
            if (length == -Errno.ENAMETOOLONG)
            {
                return -Errno.E2BIG;
            }
            if (length < 0)
            {
                return length;
            }
            arguments[count] = text + used;
            lengths[count] = (ulong)length;
            used += (ulong)length + 1;
            count++;
        }
        long result = ProcessManager.Spawn(programName, (int)nameLength, arguments, lengths, count, ProcessManager.Current, out Process child, out _);
        return result < 0 ? result : child.Pid;
    }

    /// <summary>
    /// abort(reason, length, exceptionType): the process ends as killed (SIGABRT) with the reason a runtime
    /// gave; an exception's MethodTable address is named from the program's symbols.
    /// </summary>
    public static long Abort(ulong text, ulong length, ulong exceptionType)
    {
        byte* reason = stackalloc byte[MaxAbortReason];
        int count = length > MaxAbortReason ? MaxAbortReason : (int)length;
        bool readable = UserMemory.CopyFrom(reason, text, (ulong)count) == 0;
        Process self = ProcessManager.Current;
        if (ProcessManager.RequestKill(self, Signal.SIGABRT, out ReasonBuilder builder))
        {
            if (exceptionType != 0)
            {
                builder.Text("unhandled exception ");
                if (!ProcessManager.AppendTypeName(builder, self, exceptionType))
                {
                    builder.Text("of an unknown type");
                }
                if (readable && count > 0)
                {
                    builder.Text(": ");
                }
            }
            if (readable)
            {
                builder.Bytes(reason, count);
            }
            else
            {
                builder.Text("aborted (its reason was not readable)");
            }
        }
        ProcessManager.ExitKilled(self.Signal);
        return 0;
    }
}
