using System;
using System.Runtime;
using System.Runtime.CompilerServices;
using Kernel.Abi;
using UserRuntime;

/// <summary>
/// Attacks the kernel the ways a buggy or malicious program would: bad pointers, overflowing lengths,
/// unknown numbers, other processes, and faults in children. Every attempt must come back as an error or
/// kill only the child that made it; one line per attempt says what came back. Exits 0 when every answer
/// was the expected one.
/// </summary>
internal static unsafe class Program
{
    private const long KernelAddress = unchecked((long)0xFFFF_8000_0000_0000);
    private const long KernelImage = unchecked((long)0xFFFF_FFFF_8010_0000);
    private const long NonCanonical = 0x0000_8000_0000_0000;
    private const long Unmapped = 0x1000_0000;
    private const long LastUserPage = 0x0000_7FFF_FFFF_F000;

    [RuntimeImport("*", "HostileSyscallWithStack")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern long SyscallWithStack(long number, ulong stackPointer);

    [RuntimeImport("*", "HostileHasNoExecute")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern int HasNoExecute();

    private static int s_failures;
    private static int s_checks;

    internal static int Main(string[] args)
    {
        byte* buffer = stackalloc byte[64];
        for (int i = 0; i < 64; i++)
        {
            buffer[i] = (byte)'.';
        }
        long self = Sys.GetPid();

        // write(2)
        Expect("write(1, NULL, 10)", Sys.Raw(1, 1, 0, 10), -Errno.EFAULT);
        Expect("write(1, kernel address, 10)", Sys.Raw(1, 1, KernelAddress, 10), -Errno.EFAULT);
        Expect("write(1, kernel image, 10)", Sys.Raw(1, 1, KernelImage, 10), -Errno.EFAULT);
        Expect("write(1, non-canonical, 10)", Sys.Raw(1, 1, NonCanonical, 10), -Errno.EFAULT);
        Expect("write(1, unmapped, 10)", Sys.Raw(1, 1, Unmapped, 10), -Errno.EFAULT);
        Expect("write(1, buffer, 2^63) length overflow", Sys.Raw(1, 1, (long)buffer, long.MaxValue), -Errno.EFAULT);
        Expect("write(1, buffer, -1) length wraps", Sys.Raw(1, 1, (long)buffer, -1), -Errno.EFAULT);
        Expect("write(1, last user page, 8 KiB) runs into the kernel half", Sys.Raw(1, 1, LastUserPage, 0x2000), -Errno.EFAULT);
        Expect("write(3, buffer, 1) bad descriptor", Sys.Raw(1, 3, (long)buffer, 1), -Errno.EBADF);
        Expect("write(-1, buffer, 1) bad descriptor", Sys.Raw(1, -1, (long)buffer, 1), -Errno.EBADF);
        Expect("write(1, buffer, 0)", Sys.Raw(1, 1, (long)buffer, 0), 0);

        // nanosleep(2)
        Expect("nanosleep(NULL)", Sys.Raw(35, 0, 0), -Errno.EFAULT);
        Expect("nanosleep(kernel address)", Sys.Raw(35, KernelAddress, 0), -Errno.EFAULT);
        TimeSpec time;
        time.Seconds = -1;
        time.Nanoseconds = 0;
        Expect("nanosleep({-1 s})", Sys.Raw(35, (long)&time, 0), -Errno.EINVAL);
        time.Seconds = 0;
        time.Nanoseconds = 1_000_000_000;
        Expect("nanosleep({1e9 ns})", Sys.Raw(35, (long)&time, 0), -Errno.EINVAL);
        time.Nanoseconds = 1_000_000;
        Expect("nanosleep({1 ms}, rem = kernel address)", Sys.Raw(35, (long)&time, KernelAddress), 0);

        // kill(2)
        Expect("kill(1, SIGKILL) the shell", Sys.Raw(62, 1, 9), -Errno.EPERM);
        Expect("kill(99999, SIGKILL)", Sys.Raw(62, 99999, 9), -Errno.ESRCH);
        Expect("kill(0, SIGKILL) process group", Sys.Raw(62, 0, 9), -Errno.EINVAL);
        Expect("kill(-1, SIGKILL) everyone", Sys.Raw(62, -1, 9), -Errno.EINVAL);
        Expect("kill(self, 99) bad signal", Sys.Raw(62, self, 99), -Errno.EINVAL);
        Expect("kill(self, 0) existence check", Sys.Raw(62, self, 0), 0);

        // wait4(2)
        Expect("wait4(-1) with no children", Sys.Raw(61, -1, 0, 0, 0), -Errno.ECHILD);
        Expect("wait4(1) not a child", Sys.Raw(61, 1, 0, 0, 0), -Errno.ECHILD);
        Expect("wait4(-1, options 0x80000000)", Sys.Raw(61, -1, 0, 0x80000000, 0), -Errno.EINVAL);
        Expect("wait4(0) process group", Sys.Raw(61, 0, 0, 0, 0), -Errno.EINVAL);

        // Unknown numbers.
        Expect("syscall 999", Sys.Raw(999), -Errno.ENOSYS);
        Expect("syscall -1", Sys.Raw(-1), -Errno.ENOSYS);
        Expect("syscall 2^63-1", Sys.Raw(long.MaxValue), -Errno.ENOSYS);
        Expect("syscall 9 (mmap, not offered)", Sys.Raw(9), -Errno.ENOSYS);

        // spawn and memory_counters.
        byte* nosuch = stackalloc byte[] { (byte)'n', (byte)'o', (byte)'s', (byte)'u', (byte)'c', (byte)'h', 0 };
        Expect("spawn(kernel address)", Sys.Raw(1024, KernelAddress, 0), -Errno.EFAULT);
        Expect("spawn(NULL)", Sys.Raw(1024, 0, 0), -Errno.EFAULT);
        Expect("spawn(\"nosuch\")", Sys.Raw(1024, (long)nosuch, 0), -Errno.ENOENT);
        for (int i = 0; i < 64; i++)
        {
            buffer[i] = (byte)'a';
        }
        buffer[63] = 0;
        Expect("spawn(63-character name)", Sys.Raw(1024, (long)buffer, 0), -Errno.ENAMETOOLONG);
        byte* hello = stackalloc byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', 0 };
        Expect("spawn(\"hello\", argv = kernel address)", Sys.Raw(1024, (long)hello, KernelAddress), -Errno.EFAULT);
        long* argv = stackalloc long[3];
        argv[0] = (long)hello;
        argv[1] = KernelAddress;
        argv[2] = 0;
        Expect("spawn(\"hello\", argv[1] = kernel address)", Sys.Raw(1024, (long)hello, (long)argv), -Errno.EFAULT);
        long* many = stackalloc long[40];
        for (int i = 0; i < 39; i++)
        {
            many[i] = (long)hello;
        }
        many[39] = 0;
        Expect("spawn(\"hello\", 39 arguments)", Sys.Raw(1024, (long)hello, (long)many), -Errno.E2BIG);
        Expect("memory_counters(kernel address)", Sys.Raw(1025, KernelAddress), -Errno.EFAULT);
        delegate*<string[], int> text = &Main;
        Expect("memory_counters(own text, read-only)", Sys.Raw(1025, (long)text), -Errno.EFAULT);

        // A system call made with the stack pointer at the kernel or nowhere: the kernel never uses it.
        Expect("getpid with rsp at a kernel address", SyscallWithStack(39, unchecked((ulong)KernelAddress)), self);
        Expect("getpid with a non-canonical rsp", SyscallWithStack(39, (ulong)NonCanonical), self);

        // Children that fault: each must die alone, with the right signal; the parent goes on.
        ExpectChildKilled("crash null", "null", Signal.SIGSEGV);
        ExpectChildKilled("crash kernel-write", "kernel-write", Signal.SIGSEGV);
        ExpectChildKilled("crash kernel-image (read the kernel's code)", "kernel-image", Signal.SIGSEGV);
        ExpectChildKilled("crash text-write (write own text)", "text-write", Signal.SIGSEGV);
        if (HasNoExecute() != 0)
        {
            // Without NX the stack is executable: nothing to refuse there.
            ExpectChildKilled("crash exec-stack (execute own stack)", "exec-stack", Signal.SIGSEGV);
        }
        ExpectChildKilled("crash int80 (a kernel gate)", "int80", Signal.SIGSEGV);
        ExpectChildKilled("crash trap (single-step)", "trap", Signal.SIGTRAP);

        // wait4 with a bad status pointer must not lose the child: a second wait4 still collects it.
        long child = Process.Spawn("hello", new string[] { "quiet" });
        Expect("wait4(child, kernel address)", Sys.Raw(61, child, KernelAddress, 0, 0), -Errno.EFAULT);
        Expect("wait4(child, status, 0, rusage = kernel address)", Sys.Raw(61, child, 0, 0, KernelAddress), -Errno.EFAULT);
        int status;
        Expect("wait4(child) after the bad pointers", Process.Wait(child, out status), child);

        Console.Write("hostile: ");
        Console.Write(s_checks);
        Console.Write(" checks, ");
        Console.Write(s_failures);
        Console.WriteLine(" unexpected");
        return s_failures == 0 ? 0 : 1;
    }

    private static void Expect(string what, long actual, long expected)
    {
        s_checks++;
        bool ok = actual == expected;
        Console.Write(ok ? "hostile: ok   " : "hostile: FAIL ");
        Console.Write(what);
        Console.Write(" = ");
        Write(actual);
        if (!ok)
        {
            s_failures++;
            Console.Write(", expected ");
            Write(expected);
        }
        Console.WriteLine();
    }

    private static void Write(long value)
    {
        if (value < 0 && value > -100)
        {
            Console.Write('-');
            Console.Write(Errno.Name(value));
        }
        else
        {
            Console.Write(value);
        }
    }

    private static void ExpectChildKilled(string what, string kind, int signal)
    {
        s_checks++;
        long pid = Process.Spawn("crash", new string[] { kind });
        int status = 0;
        long waited = pid > 0 ? Process.Wait(pid, out status) : pid;
        bool ok = pid > 0 && waited == pid && WaitStatus.IsSignaled(status) && WaitStatus.TermSignal(status) == signal;
        Console.Write(ok ? "hostile: ok   " : "hostile: FAIL ");
        Console.Write(what);
        Console.Write(": child ");
        Console.Write(pid);
        Console.Write(" killed by signal ");
        Console.Write(WaitStatus.TermSignal(status));
        Console.WriteLine();
        if (!ok)
        {
            s_failures++;
        }
    }
}
