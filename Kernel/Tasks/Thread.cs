using Kernel.Arch;

namespace Kernel.Tasks;

/// <summary>
/// A kernel thread: a kernel stack and the stack pointer saved when it is switched away. A process has
/// exactly one, which runs the program in ring 3 and enters the kernel on its kernel stack for system
/// calls, interrupts and faults; the shell and the idle loop are threads with no program.
/// </summary>
internal sealed class Thread
{
    public Thread(string name, ulong stackTop)
    {
        Name = name;
        StackTop = stackTop;
    }

    public string Name { get; }

    /// <summary>The top of the kernel stack (what TSS.RSP0 holds while it runs); for the boot stack, the boot stack's top.</summary>
    public ulong StackTop { get; }

    /// <summary>
    /// The registers the program had when it last entered the kernel (a system call, an interrupt, an
    /// exception). Entries from ring 3 start on an empty kernel stack, whose top both TSS.RSP0 and the SYSCALL
    /// entry's stack hold, and save their frame first, so it lies at the very top; a new user thread's first
    /// frame is put there too. Meaningful only for a thread that runs a program, while it is in the kernel.
    /// </summary>
    public unsafe InterruptFrame* UserFrame => (InterruptFrame*)(StackTop - (ulong)sizeof(InterruptFrame));

    /// <summary>Whether <see cref="StackTop"/> is a <see cref="Memory.ThreadStacks"/> stack, to be freed when the thread ends.</summary>
    public bool OwnsStack { get; set; }

    public ThreadState State { get; set; }

    /// <summary>Where the stack pointer was when the thread was last switched away.</summary>
    public ulong SavedStackPointer;

    /// <summary>The PML4 to run on (the kernel's for threads with no program).</summary>
    public ulong RootTable { get; set; }

    /// <summary>The process this thread runs, or null for a kernel thread with no process.</summary>
    public object Owner { get; set; }

    /// <summary>A <see cref="Scheduler.Wake"/> that came while the thread was not blocked: its next block returns at once.</summary>
    public bool WakePending { get; set; }

    /// <summary>The tick a sleeping thread waits for.</summary>
    public ulong WakeTick { get; set; }

    /// <summary>Timer ticks (milliseconds) spent on the CPU.</summary>
    public ulong Ticks { get; set; }

    public Thread NextReady { get; set; }

    public Thread NextSleeper { get; set; }
}
