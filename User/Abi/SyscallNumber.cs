namespace Kernel.Abi;

/// <summary>
/// System-call numbers: rax at <c>syscall</c>, arguments in rdi, rsi, rdx, r10, r8, r9, the result (or a
/// negative <see cref="Errno"/>) back in rax. Calls Linux x86-64 has keep Linux's numbers and meaning, so
/// that static Linux programs can be run one day; this kernel's own calls start at <see cref="FirstPrivate"/>,
/// far above Linux's table. Compiled into the kernel and into every user program.
/// </summary>
public enum SyscallNumber : long
{
    /// <summary>write(fd, buffer, count): fd 1 and 2 are the console. Returns the bytes written.</summary>
    Write = 1,

    /// <summary>sched_yield(): gives up the rest of the time slice. Returns 0.</summary>
    SchedYield = 24,

    /// <summary>nanosleep(const timespec* request, timespec* remaining): sleeps at least the request.</summary>
    Nanosleep = 35,

    /// <summary>getpid(): the calling process's id.</summary>
    GetPid = 39,

    /// <summary>exit(status): ends the process with status & 0xFF.</summary>
    Exit = 60,

    /// <summary>wait4(pid, int* status, options, rusage*): waits for a child (pid -1: any) to end; WNOHANG = 1.</summary>
    Wait4 = 61,

    /// <summary>kill(pid, signal): SIGKILL or SIGTERM end the process; 0 only checks that it exists.</summary>
    Kill = 62,

    /// <summary>mlockall(flags): MCL_CURRENT (1) keeps every page resident now out of page replacement for good.</summary>
    LockAll = 151,

    /// <summary>clock_gettime(clock, timespec*): CLOCK_REALTIME (0) and CLOCK_MONOTONIC (1) both count from boot, in ms steps.</summary>
    ClockGetTime = 228,

    /// <summary>exit_group(status): the same as exit for this kernel's single-threaded processes.</summary>
    ExitGroup = 231,

    FirstPrivate = 1024,

    /// <summary>spawn(const char* name, const char* const* argv): starts program NAME as a child; returns its pid.</summary>
    Spawn = FirstPrivate,

    /// <summary>memory_counters(MemoryCounters* counters): the caller's memory and fault figures.</summary>
    MemoryCounters = FirstPrivate + 1,

    /// <summary>
    /// abort(const char* reason, length, exceptionType): ends the process as killed (SIGABRT) with REASON, a
    /// runtime's fatal error; a non-zero exceptionType (a MethodTable address) is named from the program's symbols.
    /// </summary>
    Abort = FirstPrivate + 2,

    /// <summary>allocate_user_mem(va, size): reserves heap pages, backed on first touch (FOS'25).</summary>
    AllocateUserMemory = FirstPrivate + 3,

    /// <summary>free_user_mem(va, size): releases heap pages and the frames of those that were touched (FOS'25).</summary>
    FreeUserMemory = FirstPrivate + 4,
}
