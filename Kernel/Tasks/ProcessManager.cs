using Kernel.Abi;
using Kernel.Arch;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.Replacement;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Tasks;

/// <summary>
/// The life of a process: spawn (check the image, build the address space, the stack with its arguments
/// and the thread), exit (give back every frame and page table at once, keep a small record), kill
/// (ask a process to end; it does on its next way back to ring 3), and reaping (the parent takes the
/// record, and the last kernel-heap bytes go). The shell is process 1, a kernel task with no address space.
/// </summary>
internal static unsafe class ProcessManager
{
    private const ulong InitialFlags = Cpu.InterruptFlag | 0x2; // bit 1 of RFLAGS is always set

    // The PIT's line 0, as the PIC delivers it.
    private const ulong TimerVector = Idt.IrqBase;

    private static ulong s_kernelRoot;
    private static Process s_shell;
    private static PagingCounters s_ended;

    /// <summary>Paging figures of the processes that ended (their records may be gone); vmstat adds the live ones.</summary>
    public static PagingCounters Ended => s_ended;

    /// <summary>The shell: parent of what it runs, and of orphans.</summary>
    public static Process Shell => s_shell;

    /// <summary>The process whose thread is on the CPU (the shell while kernel code of the shell runs).</summary>
    public static Process Current => Scheduler.Current.Owner as Process;

    /// <summary>
    /// Makes the running code the shell's process and thread, and starts the scheduler. The kernel's address
    /// space is the one at <paramref name="kernelRoot"/>: kernel threads run in it, and an ending process
    /// returns to it.
    /// </summary>
    public static void Initialize(ulong bootStackTop, ulong kernelRoot)
    {
        s_kernelRoot = kernelRoot;
        ReadDefaults();
        var thread = new Thread("shell", bootStackTop);
        s_shell = new Process(ProcessTable.NextPid(), "shell", null) { IsKernelTask = true, Thread = thread };
        thread.Owner = s_shell;
        ProcessTable.Add(s_shell);
        Scheduler.Initialize(thread, kernelRoot);
        Interrupts.SetUserHooks(&UserFaults.OnException, &OnReturnToUser, &UserFaults.OnKernelAccess);
    }

    /// <summary>
    /// The kernel's default working set, from the command line: ws=PAGES and policy=clock|modclock|lru (a
    /// malformed value is reported and ignored).
    /// </summary>
    private static void ReadDefaults()
    {
        SpawnOptions options = SpawnOptions.Default;
        byte* command = Boot.Multiboot.CommandLine;
        if (Boot.CString.TryGetOption(command, "ws", out byte* value, out int length))
        {
            ulong pages = 0;
            bool valid = length > 0 && length <= 7;
            for (int i = 0; i < length && valid; i++)
            {
                valid = value[i] >= '0' && value[i] <= '9';
                pages = pages * 10 + (ulong)(value[i] - '0');
            }
            if (valid && pages >= SpawnOptions.MinimumWorkingSetPages && pages <= SpawnOptions.MaximumWorkingSetPages)
            {
                options.WorkingSetPages = (int)pages;
            }
            else
            {
                Drivers.Console.WriteLine("kernel: ws= wants a number of pages (4 to 1048576); keeping the default");
            }
        }
        if (Boot.CString.TryGetOption(command, "policy", out value, out length))
        {
            char* name = stackalloc char[16];
            for (int i = 0; i < length && i < 16; i++)
            {
                name[i] = (char)value[i];
            }
            if (length > 16 || !SpawnOptions.TryParsePolicy(name, length, out options.Policy))
            {
                Drivers.Console.WriteLine("kernel: policy= is clock, modclock or lru; keeping clock");
            }
        }
        SpawnOptions.SetDefaults(options.WorkingSetPages, options.Policy);
    }

    /// <summary>
    /// Starts the program named by the <paramref name="nameLength"/> bytes at <paramref name="name"/> as a child
    /// of <paramref name="parent"/>, with the <paramref name="count"/> arguments at <paramref name="arguments"/>
    /// (argument i being <paramref name="lengths"/>[i] bytes). Returns 0 and the child, or a negative errno:
    /// -ENOENT (no such program), -ENOEXEC (<paramref name="imageStatus"/> says why), -E2BIG, -EAGAIN (too
    /// many processes) or -ENOMEM. A failure holds nothing.
    /// </summary>
    public static long Spawn(byte* name, int nameLength, byte** arguments, ulong* lengths, int count, Process parent, out Process child, out ElfStatus imageStatus)
    {
        return Spawn(name, nameLength, arguments, lengths, count, parent, SpawnOptions.Default, out child, out imageStatus);
    }

    /// <summary>
    /// As <see cref="Spawn(byte*, int, byte**, ulong*, int, Process, out Process, out ElfStatus)"/>, with the
    /// working set's size and policy given: with a page file, the process keeps at most that many replaceable
    /// pages resident and evicts by the policy beyond; without one it has no working set (running out of
    /// frames ends it).
    /// </summary>
    public static long Spawn(byte* name, int nameLength, byte** arguments, ulong* lengths, int count, Process parent, SpawnOptions options,
        out Process child, out ElfStatus imageStatus)
    {
        child = null;
        imageStatus = ElfStatus.Ok;
        if (!ProgramImages.TryFind(name, nameLength, out byte* bytes, out ulong size))
        {
            return -Errno.ENOENT;
        }
        imageStatus = ElfImage.Parse(bytes, size, out ElfImage image);
        if (imageStatus != ElfStatus.Ok)
        {
            return -Errno.ENOEXEC;
        }
        if (ProcessTable.UserProcesses >= ProcessTable.MaxUserProcesses)
        {
            return -Errno.EAGAIN;
        }
        if (!MemoryManager.TryCreateAddressSpace(out UserAddressSpace<KernelPhysicalMemory, KernelTlb> space))
        {
            return -Errno.ENOMEM;
        }
        if (KernelPageStore.Available)
        {
            // Made before anything is loaded, so that every replaceable page (the stack's, the heap's)
            // joins it from its first touch.
            space.UseWorkingSet(new WorkingSet(options.WorkingSetPages, options.Policy, WorkingSet.InitialEntries,
                &ObjectAllocator.TryNewArrayLike, &ObjectAllocator.Free));
        }
        long error = Populate(space, image, arguments, lengths, count, out ulong stackPointer);
        if (error != 0)
        {
            DestroyAddressSpace(space);
            return error;
        }

        InterruptFrame frame = default;
        frame.Rip = image.Entry;
        frame.Cs = Gdt.UserCode;
        frame.Rflags = InitialFlags;
        frame.Rsp = stackPointer;
        frame.Ss = Gdt.UserData;
        string processName = string.FromAscii(name, nameLength);
        Thread thread = Scheduler.CreateUserThread(processName, space.RootTable, &frame);
        if (thread == null)
        {
            ObjectAllocator.Free(processName);
            DestroyAddressSpace(space);
            return -Errno.ENOMEM;
        }
        var process = new Process(ProcessTable.NextPid(), processName, parent) { AddressSpace = space, Thread = thread, Image = bytes, ImageSize = size };
        thread.Owner = process;
        ProcessTable.Add(process);
        child = process;
        Scheduler.MakeReady(thread);
        return 0;
    }

    private static long Populate(UserAddressSpace<KernelPhysicalMemory, KernelTlb> space, in ElfImage image, byte** arguments, ulong* lengths, int count, out ulong stackPointer)
    {
        stackPointer = 0;
        if (space.LoadImage(image) != PagingStatus.Success)
        {
            return -Errno.ENOMEM;
        }
        if (space.ReserveRuntimeRegion() != UserMemoryStatus.Ok)
        {
            return -Errno.ENOMEM;
        }
        PagingStatus status = space.SetUpStack(arguments, lengths, count, out stackPointer);
        if (status == PagingStatus.InvalidRange)
        {
            return -Errno.E2BIG;
        }
        return status == PagingStatus.Success ? 0 : -Errno.ENOMEM;
    }

    private static void DestroyAddressSpace(UserAddressSpace<KernelPhysicalMemory, KernelTlb> space)
    {
        Mem.Paging.Mapper<KernelPhysicalMemory, KernelTlb> mapper = space.Mapper;
        WorkingSet set = space.WorkingSet;
        KernelPageStore store = default;
        space.Destroy(ref store);
        if (set != null)
        {
            set.ReleaseObjects(&ObjectAllocator.Free);
            ObjectAllocator.Free(set);
        }
        ObjectAllocator.Free(mapper);
        ObjectAllocator.Free(space);
    }

    /// <summary>Ends the current process with exit status <paramref name="status"/> (its low byte).</summary>
    public static void Exit(int status)
    {
        Process current = Current;
        current.ExitStatus = status & 0xFF;
        End(current);
    }

    /// <summary>
    /// Ends the current process as killed by <paramref name="signal"/>; the reason was written with
    /// <see cref="Process.BeginReason"/>.
    /// </summary>
    public static void ExitKilled(int signal)
    {
        Process current = Current;
        current.Signal = signal;
        End(current);
    }

    /// <summary>
    /// Asks <paramref name="target"/> to end with <paramref name="signal"/>; the caller then writes the reason
    /// (unless one is set already: the first request wins). A blocked target is woken to notice. Returns false
    /// for kernel tasks and for processes already ended.
    /// </summary>
    public static bool RequestKill(Process target, int signal, out ReasonBuilder reason)
    {
        reason = default;
        if (target.IsKernelTask || target.State != ProcessState.Live || target.KillRequested)
        {
            return !target.IsKernelTask && target.State == ProcessState.Live;
        }
        target.KillRequested = true;
        target.Signal = signal;
        reason = target.BeginReason();
        Scheduler.Wake(target.Thread);
        return true;
    }

    /// <summary>The hook on every way back to ring 3: a killed process ends here; a preempted one yields.</summary>
    private static void OnReturnToUser(InterruptFrame* frame)
    {
        Process current = Current;
        if (current != null && current.KillRequested)
        {
            End(current);
        }
        if (frame->Vector == TimerVector)
        {
            AgeWorkingSet(current);
        }
        if (Scheduler.PreemptionDue)
        {
            Scheduler.Yield();
            current = Current;
            if (current != null && current.KillRequested)
            {
                End(current);
            }
        }
    }

    /// <summary>
    /// LRU aging at every tick: a timer interrupt that finds the process in ring 3 ages its working set once, on
    /// the way back to ring 3 (not in the interrupt handler, so its page tables never change under kernel code
    /// working on them). Ticks that land in the kernel, or while it sleeps, do not age it: its accessed bits
    /// cannot change then.
    /// </summary>
    private static void AgeWorkingSet(Process process)
    {
        if (process != null && process.AddressSpace != null && process.AddressSpace.WorkingSet != null
            && process.AddressSpace.WorkingSet.Policy == ReplacementPolicy.LruAging)
        {
            process.AddressSpace.AgeWorkingSet();
            process.AgingSteps++;
        }
    }

    /// <summary>
    /// The end of the current process: back to the kernel's address space, every user frame and page table
    /// freed, children handed to the shell, the parent woken, and the thread gone. Never returns.
    /// </summary>
    private static void End(Process process)
    {
        KernelTlb.Activate(s_kernelRoot);
        process.FinalPaging = PagingCounters.Of(process);
        s_ended.Add(process.FinalPaging);
        if (process.AddressSpace != null)
        {
            DestroyAddressSpace(process.AddressSpace);
            process.AddressSpace = null;
        }
        ulong flags = Cpu.SaveAndDisableInterrupts();
        process.Ticks += process.Thread.Ticks;
        process.Thread = null;
        process.State = ProcessState.Zombie;
        bool orphansEnded = false;
        for (Process p = ProcessTable.First; p != null; p = p.NextInTable)
        {
            if (p.Parent == process)
            {
                p.Parent = s_shell;
                orphansEnded |= p.State == ProcessState.Zombie;
            }
        }
        if (process.Parent != null && process.Parent.Thread != null)
        {
            Scheduler.Wake(process.Parent.Thread);
        }
        if (orphansEnded && process.Parent != s_shell)
        {
            Scheduler.Wake(s_shell.Thread);
        }
        Cpu.RestoreInterrupts(flags);
        Scheduler.ExitCurrent();
    }

    /// <summary>
    /// Waits until a child of the current process that matches <paramref name="pid"/> (-1: any) has ended,
    /// reaps it and returns its pid with its Linux-encoded status in <paramref name="statusWord"/>; or 0 with
    /// <paramref name="noHang"/> when none has ended yet; -ECHILD when there is no such child; -EINTR when
    /// the waiter itself is killed meanwhile.
    /// </summary>
    public static long WaitForChild(long pid, bool noHang, out int statusWord)
    {
        statusWord = 0;
        Process self = Current;
        while (true)
        {
            bool any = false;
            for (Process p = ProcessTable.First; p != null; p = p.NextInTable)
            {
                if (p.Parent != self || (pid != -1 && p.Pid != pid))
                {
                    continue;
                }
                any = true;
                if (p.State == ProcessState.Zombie)
                {
                    statusWord = StatusWord(p);
                    int reaped = p.Pid;
                    Reap(p);
                    return reaped;
                }
            }
            if (!any)
            {
                return -Errno.ECHILD;
            }
            if (noHang)
            {
                return 0;
            }
            if (self.KillRequested)
            {
                return -Errno.EINTR;
            }
            Scheduler.Block();
        }
    }

    /// <summary>The wait4 status word of an ended process.</summary>
    public static int StatusWord(Process p) => p.Signal != 0 ? WaitStatus.Signaled(p.Signal) : WaitStatus.Exited(p.ExitStatus);

    /// <summary>Removes an ended process's record and frees it.</summary>
    public static void Reap(Process process)
    {
        ProcessTable.Remove(process);
        process.ReleaseRecord();
        ObjectAllocator.Free(process);
    }

    /// <summary>Appends " (Type.Method+0xOFFSET)" for a code address of the process's program, when its symbols name it.</summary>
    public static void AppendCodeSymbol(ReasonBuilder reason, Process process, ulong address)
    {
        ElfSymbolTable symbols = ElfSymbolTable.Find(process.Image, process.ImageSize);
        if (symbols.TryFindFunction(address, out byte* name, out int length, out ulong offset))
        {
            reason.Text(" (").Symbol(name, length, process.Name).Text("+0x").ShortHex(offset).Text(")");
        }
    }

    /// <summary>Appends the name of the type whose MethodTable is at <paramref name="address"/> in the process's program.</summary>
    public static bool AppendTypeName(ReasonBuilder reason, Process process, ulong address)
    {
        ElfSymbolTable symbols = ElfSymbolTable.Find(process.Image, process.ImageSize);
        if (address == 0 || !symbols.TryFindExact(address, out byte* name, out int length))
        {
            return false;
        }
        reason.Symbol(name, length, process.Name);
        return true;
    }

    /// <summary>Writes "process PID (NAME) exited with status S" or "process PID (NAME) killed: REASON".</summary>
    public static void WriteClosingLine(Process p)
    {
        Drivers.Console.Write("process ");
        Drivers.Console.WriteDecimal((ulong)p.Pid);
        Drivers.Console.Write(" (");
        Drivers.Console.Write(p.Name);
        if (p.Signal != 0)
        {
            Drivers.Console.Write(") killed: ");
            if (p.HasReason)
            {
                p.WriteReason();
            }
            else
            {
                Drivers.Console.Write("signal ");
                Drivers.Console.WriteDecimal((ulong)p.Signal);
            }
            Drivers.Console.WriteLine();
        }
        else
        {
            Drivers.Console.Write(") exited with status ");
            Drivers.Console.WriteDecimal((ulong)p.ExitStatus);
            Drivers.Console.WriteLine();
        }
    }
}
