using Kernel.Abi;
using Kernel.Arch;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Tasks
{
    /// <summary>
    /// The life of a process: spawn (check the image, build the address space, the stack with its arguments
    /// and the thread), exit (give back every frame and page table at once, keep a small record), kill
    /// (ask a process to end; it does on its next way back to ring 3), and reaping (the parent takes the
    /// record, and the last kernel-heap bytes go). The shell is process 1, a kernel task with no address space.
    /// </summary>
    internal static unsafe class ProcessManager
    {
        private const ulong InitialFlags = Cpu.InterruptFlag | 0x2; // bit 1 of RFLAGS is always set

        private static Process s_shell;

        /// <summary>The shell: parent of what it runs, and of orphans.</summary>
        public static Process Shell => s_shell;

        /// <summary>The process whose thread is on the CPU (the shell while kernel code of the shell runs).</summary>
        public static Process Current => Scheduler.Current.Owner as Process;

        /// <summary>Makes the running code the shell's process and thread, and starts the scheduler.</summary>
        public static void Initialize(ulong bootStackTop)
        {
            var thread = new Thread("shell", bootStackTop);
            s_shell = new Process(ProcessTable.NextPid(), "shell", null) { IsKernelTask = true, Thread = thread };
            thread.Owner = s_shell;
            ProcessTable.Add(s_shell);
            Scheduler.Initialize(thread);
            Interrupts.SetUserHooks(&UserFaults.OnException, &OnReturnToUser, &UserFaults.OnKernelAccess);
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
            space.Destroy();
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
        /// The end of the current process: back to the kernel's address space, every user frame and page table
        /// freed, children handed to the shell, the parent woken, and the thread gone. Never returns.
        /// </summary>
        private static void End(Process process)
        {
            KernelTlb.Activate(MemoryManager.KernelRoot);
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
}
