using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Tasks;

/// <summary>
/// Preemptive round robin on one CPU. Ready threads wait in a FIFO queue; a thread runs until it blocks,
/// yields, or (in ring 3) its time slice of <see cref="SliceTicks"/> ms ends while another is ready, which
/// the timer notices and the return-to-user path acts on. Kernel code is not preempted: a thread in the
/// kernel runs until it blocks or returns to ring 3, so kernel data needs no locks against other threads,
/// only against interrupt handlers. When nothing is ready the idle thread halts the CPU.
/// </summary>
/// <remarks>
/// Every operation runs with interrupts disabled. Blocking is race-free through
/// <see cref="Thread.WakePending"/>: a wake that arrives before the block makes the block return at once,
/// so a waiter checks its condition, blocks, and checks again, and no wake-up is lost.
/// </remarks>
internal static unsafe class Scheduler
{
    public const ulong SliceTicks = 5;

    private static ulong s_kernelRoot;
    private static Thread s_current;
    private static Thread s_idle;
    private static Thread s_readyHead;
    private static Thread s_readyTail;
    private static Thread s_sleepers;
    private static Thread s_dead;
    private static ulong s_sliceEnd;
    private static bool s_preemptionDue;
    private static ulong s_switches;

    /// <summary>The thread on the CPU.</summary>
    public static Thread Current => s_current;

    /// <summary>Context switches since boot.</summary>
    public static ulong Switches => s_switches;

    public static bool IsStarted => s_current != null;

    /// <summary>
    /// Makes the code running now (the boot stack, which becomes the shell) the first thread, and starts
    /// the idle thread and the timer hook. Kernel threads run in the address space at <paramref name="kernelRoot"/>.
    /// </summary>
    public static void Initialize(Thread boot, ulong kernelRoot)
    {
        s_kernelRoot = kernelRoot;
        boot.State = ThreadState.Running;
        boot.RootTable = kernelRoot;
        s_current = boot;
        DebuggerView.SetCurrentThread(boot);
        s_idle = CreateKernelThread("idle", &IdleLoop);
        if (s_idle == null)
        {
            Panic.Fail("scheduler: no memory for the idle thread");
        }
        ContextSwitch.SetFinishHook(&FinishSwitch);
        Pit.SetTickHook(&OnTick);
    }

    /// <summary>A thread that will run <paramref name="entry"/> in the kernel; null when out of memory. Not yet ready.</summary>
    public static Thread CreateKernelThread(string name, delegate*<void> entry)
    {
        ulong top = ThreadStacks.Allocate();
        if (top == 0)
        {
            return null;
        }
        var thread = new Thread(name, top) { OwnsStack = true, RootTable = s_kernelRoot, State = ThreadState.Blocked };
        // What KernelSwitchStack restores (the FPU area, then rbx = the entry point among the registers), then the
        // return into the start trampoline.
        ulong* stack = (ulong*)top;
        *--stack = ContextSwitch.StartKernelAddress();
        for (int i = 0; i < ContextSwitch.SavedRegisters; i++)
        {
            *--stack = 0;
        }
        stack[SavedRbxIndex] = (ulong)entry;
        thread.SavedStackPointer = (ulong)ContextSwitch.PushInitialFpuState(stack);
        return thread;
    }

    /// <summary>
    /// A thread that will enter ring 3 through <paramref name="frame"/> (its registers, RIP, RSP, RFLAGS, CS,
    /// SS) on the address space at <paramref name="rootTable"/>; null when out of memory. Not yet ready.
    /// </summary>
    public static Thread CreateUserThread(string name, ulong rootTable, InterruptFrame* frame)
    {
        ulong top = ThreadStacks.Allocate();
        if (top == 0)
        {
            return null;
        }
        var thread = new Thread(name, top) { OwnsStack = true, RootTable = rootTable, State = ThreadState.Blocked };
        InterruptFrame* initial = thread.UserFrame;
        *initial = *frame;
        ulong* stack = (ulong*)initial;
        *--stack = ContextSwitch.StartUserAddress();
        for (int i = 0; i < ContextSwitch.SavedRegisters; i++)
        {
            *--stack = 0;
        }
        thread.SavedStackPointer = (ulong)ContextSwitch.PushInitialFpuState(stack);
        return thread;
    }

    // KernelSwitchStack pushes rbp, rbx, r12..r15, so from the saved stack pointer up: r15 r14 r13 r12 rbx rbp.
    private const int SavedRbxIndex = 4;

    /// <summary>Puts a new or woken thread at the end of the ready queue.</summary>
    public static void MakeReady(Thread thread)
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        thread.State = ThreadState.Ready;
        Enqueue(thread);
        Cpu.RestoreInterrupts(flags);
    }

    /// <summary>Gives the CPU to the next ready thread, if any; the current one goes to the back of the queue.</summary>
    public static void Yield()
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        s_preemptionDue = false;
        if (s_current != s_idle)
        {
            s_current.State = ThreadState.Ready;
            Enqueue(s_current);
        }
        Schedule();
        Cpu.RestoreInterrupts(flags);
    }

    /// <summary>
    /// Waits until <see cref="Wake"/> is called for the current thread (at once if a wake is pending). A
    /// wake-up says only that something may have changed: callers check their condition in a loop.
    /// </summary>
    public static void Block()
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        if (s_current.WakePending)
        {
            s_current.WakePending = false;
        }
        else
        {
            s_current.State = ThreadState.Blocked;
            Schedule();
        }
        Cpu.RestoreInterrupts(flags);
    }

    /// <summary>Makes a blocked thread ready, or makes its next block return at once. Safe in interrupt handlers.</summary>
    public static void Wake(Thread thread)
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        if (thread.State == ThreadState.Blocked)
        {
            thread.State = ThreadState.Ready;
            Enqueue(thread);
            // A thread woken by an event (input, a child's end) should not wait out the current slice.
            s_preemptionDue = true;
        }
        else if (thread.State != ThreadState.Dead)
        {
            thread.WakePending = true;
        }
        Cpu.RestoreInterrupts(flags);
    }

    /// <summary>
    /// Blocks the current thread until tick <paramref name="tick"/> or until it is woken for another reason;
    /// returns true when the tick has come.
    /// </summary>
    public static bool SleepUntil(ulong tick)
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        Thread current = s_current;
        bool due = Pit.Ticks >= tick;
        if (!due)
        {
            current.WakeTick = tick;
            current.NextSleeper = s_sleepers;
            s_sleepers = current;
            Cpu.RestoreInterrupts(flags);
            Block();
            flags = Cpu.SaveAndDisableInterrupts();
            RemoveSleeper(current);
            due = Pit.Ticks >= tick;
        }
        Cpu.RestoreInterrupts(flags);
        return due;
    }

    /// <summary>Whether the current thread's slice is over with another thread waiting (checked on the way to ring 3).</summary>
    public static bool PreemptionDue => s_preemptionDue;

    /// <summary>
    /// Ends the current thread: it never runs again, and the next thread to run frees its stack. Called by
    /// the process layer once everything else the thread held is released.
    /// </summary>
    public static void ExitCurrent()
    {
        Cpu.DisableInterrupts();
        Thread current = s_current;
        current.State = ThreadState.Dead;
        RemoveSleeper(current);
        s_dead = current;
        Schedule();
        Panic.Fail("scheduler: a dead thread ran again");
    }

    /// <summary>Whether any thread waits in the ready queue.</summary>
    public static bool AnyReady => s_readyHead != null;

    private static void Enqueue(Thread thread)
    {
        thread.NextReady = null;
        if (s_readyTail == null)
        {
            s_readyHead = thread;
        }
        else
        {
            s_readyTail.NextReady = thread;
        }
        s_readyTail = thread;
    }

    private static Thread Dequeue()
    {
        Thread thread = s_readyHead;
        if (thread != null)
        {
            s_readyHead = thread.NextReady;
            if (s_readyHead == null)
            {
                s_readyTail = null;
            }
            thread.NextReady = null;
        }
        return thread;
    }

    private static void RemoveSleeper(Thread thread)
    {
        Thread previous = null;
        for (Thread t = s_sleepers; t != null; previous = t, t = t.NextSleeper)
        {
            if (t == thread)
            {
                if (previous == null)
                {
                    s_sleepers = t.NextSleeper;
                }
                else
                {
                    previous.NextSleeper = t.NextSleeper;
                }
                t.NextSleeper = null;
                return;
            }
        }
    }

    /// <summary>Switches to the next ready thread, or the idle thread. Interrupts are disabled; the current thread's state is already set.</summary>
    private static void Schedule()
    {
        Thread next = Dequeue() ?? s_idle;
        if (next == s_current)
        {
            next.State = ThreadState.Running;
            return;
        }
        Thread previous = s_current;
        s_current = next;
        DebuggerView.SetCurrentThread(next);
        next.State = ThreadState.Running;
        s_sliceEnd = Pit.Ticks + SliceTicks;
        s_switches++;
        Gdt.SetKernelStack(next.StackTop);
        KernelTlb.Activate(next.RootTable);
        fixed (ulong* save = &previous.SavedStackPointer)
        {
            ContextSwitch.Switch(save, next.SavedStackPointer);
        }
    }

    /// <summary>Runs first on every thread that was switched to: frees the stack of a thread that ended.</summary>
    private static void FinishSwitch()
    {
        Thread dead = s_dead;
        if (dead != null && dead != s_current)
        {
            s_dead = null;
            if (dead.OwnsStack)
            {
                ThreadStacks.Free(dead.StackTop);
            }
            ObjectAllocator.Free(dead);
        }
    }

    /// <summary>The timer's hook, in its interrupt handler: accounting, sleepers, and the end of the slice.</summary>
    private static void OnTick()
    {
        ulong now = Pit.Ticks;
        if (s_current != s_idle)
        {
            s_current.Ticks++;
        }
        for (Thread t = s_sleepers; t != null; t = t.NextSleeper)
        {
            if (now >= t.WakeTick)
            {
                Wake(t);
            }
        }
        if (now >= s_sliceEnd && s_readyHead != null)
        {
            s_preemptionDue = true;
        }
    }

    /// <summary>The idle thread: halt until an interrupt, run whatever it made ready.</summary>
    private static void IdleLoop()
    {
        while (true)
        {
            Cpu.DisableInterrupts();
            if (s_readyHead != null)
            {
                Schedule();
            }
            // STI takes effect after the next instruction, so no interrupt slips in before the HLT.
            Cpu.WaitForInterrupt();
        }
    }
}
