using System.Runtime;
using System.Runtime.CompilerServices;
using Kernel.Drivers;

namespace Kernel.Arch;

/// <summary>
/// The panic report, on both consoles: the reason, the exception and its error code (decoded for page
/// faults), RIP, CR2, the general registers and a symbolised backtrace. Then it halts or, with the
/// kernel option <c>panic=exit</c>, leaves QEMU through isa-debug-exit with the failure code.
/// </summary>
internal static unsafe class PanicScreen
{
    private const ulong NullPageLimit = 0x1000;
    private const int MaxFrames = 24;

    private static bool s_inPanic;

    [RuntimeImport("*", "KernelTextStart")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong TextStart();

    [RuntimeImport("*", "KernelTextEnd")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong TextEnd();

    /// <summary>Names an object's exact type from the symbol of its MethodTable.</summary>
    public static void WriteTypeName(object obj)
    {
        if (obj == null)
        {
            Console.Write("null");
            return;
        }
        ulong methodTable = (ulong)obj.GetMethodTable();
        if (!Symbols.TryLookupData(methodTable, out byte* name))
        {
            Console.Write("(unknown type) MethodTable ");
            Console.WriteHex(methodTable);
            return;
        }
        // ilc names a MethodTable "_ZTV<length><module>_<namespace>_<type>": print "namespace.type".
        int start = 0;
        if (name[0] == '_' && name[1] == 'Z' && name[2] == 'T' && name[3] == 'V')
        {
            start = 4;
            while (name[start] >= '0' && name[start] <= '9')
            {
                start++;
            }
            while (name[start] != '_' && name[start] != '\n' && name[start] != 0)
            {
                start++;
            }
            if (name[start] == '_')
            {
                start++;
            }
        }
        for (int i = start; i < 160 && name[i] != '\n' && name[i] != 0; i++)
        {
            Console.Write(name[i] == '_' ? '.' : (char)name[i]);
        }
    }

    public static void Show(string reason, string exceptionName, string message, ulong framePointer)
    {
        Begin(reason);
        if (exceptionName != null)
        {
            Console.Write("exception: ");
            Console.WriteLine(exceptionName);
        }
        WriteMessage(message);
        WriteBacktrace(0, framePointer, framePointer);
        End();
    }

    public static void ShowThrow(object exception, string message, ulong framePointer)
    {
        Begin("unhandled exception (no unwinder: throw is fatal in the kernel)");
        Console.Write("exception: ");
        WriteTypeName(exception);
        Console.WriteLine();
        WriteMessage(message);
        WriteBacktrace(0, framePointer, framePointer);
        End();
    }

    public static void ShowException(InterruptFrame* frame, ulong faultAddress)
    {
        int vector = (int)frame->Vector;
        bool pageFault = vector == (int)ExceptionVector.PageFault;
        string reason = pageFault ? Memory.PageFaultClassifier.Classify(faultAddress, frame->ErrorCode, frame->Rsp, frame->Rflags) : "CPU exception";
        if (vector == (int)ExceptionVector.GeneralProtection && frame->ErrorCode == 0)
        {
            // A memory access through a non-canonical address raises #GP(0), not #PF (SDM Vol. 3A, 6.15).
            reason = "general protection fault (non-canonical address or privileged operation)";
        }
        if (vector == (int)ExceptionVector.DoubleFault && Memory.KernelStacks.IsGuardPage(Cpu.ReadCr2())
            && Memory.PageFaultClassifier.IsStackOverflow(Cpu.ReadCr2(), frame->Rsp))
        {
            // The page fault on the guard page could not push its own frame: the stack is gone.
            reason = "kernel stack overflow (guard page hit; reported as a double fault on the IST stack)";
        }
        Begin(reason);
        Console.Write("exception: ");
        WriteExceptionName(vector);
        Console.Write(", error code ");
        Console.WriteHex(frame->ErrorCode, 4);
        if (pageFault)
        {
            WritePageFaultErrorCode(frame->ErrorCode);
        }
        Console.WriteLine();
        if (pageFault && faultAddress < NullPageLimit)
        {
            Console.WriteLine("exception: NullReferenceException (dereference of a null object reference)");
        }
        Console.Write("RIP ");
        Console.WriteHex(frame->Rip);
        Console.Write(" ");
        Symbols.WriteSymbol(frame->Rip);
        Console.WriteLine();
        if (pageFault || vector == (int)ExceptionVector.DoubleFault)
        {
            // For a double fault CR2 still holds the address of the page fault that could not be delivered.
            Console.Write("CR2 ");
            Console.WriteHex(pageFault ? faultAddress : Cpu.ReadCr2());
            Console.WriteLine();
        }
        WriteRegisters(frame);
        WriteBacktrace(frame->Rip, frame->Rbp, frame->Rsp);
        End();
    }

    public static void ShowUnexpectedVector(InterruptFrame* frame)
    {
        Begin("unexpected interrupt vector (no handler: a stray `int n` or a misrouted interrupt)");
        Console.Write("vector ");
        Console.WriteDecimal(frame->Vector);
        Console.Write(" at RIP ");
        Console.WriteHex(frame->Rip);
        Console.Write(" ");
        Symbols.WriteSymbol(frame->Rip);
        Console.WriteLine();
        WriteRegisters(frame);
        WriteBacktrace(frame->Rip, frame->Rbp, frame->Rsp);
        End();
    }

    /// <summary>
    /// The vector's name (SDM Vol. 3A, Table 6-1). A switch over string literals, not a static array: an
    /// array would be made by a class constructor on the first panic, from the heap the panic may be about.
    /// Null for a reserved vector.
    /// </summary>
    private static string ExceptionName(ExceptionVector vector)
    {
        switch (vector)
        {
            case ExceptionVector.DivideError: return "#DE divide error";
            case ExceptionVector.Debug: return "#DB debug";
            case ExceptionVector.NonMaskableInterrupt: return "NMI";
            case ExceptionVector.Breakpoint: return "#BP breakpoint";
            case ExceptionVector.Overflow: return "#OF overflow";
            case ExceptionVector.BoundRangeExceeded: return "#BR bound range exceeded";
            case ExceptionVector.InvalidOpcode: return "#UD invalid opcode";
            case ExceptionVector.DeviceNotAvailable: return "#NM device not available";
            case ExceptionVector.DoubleFault: return "#DF double fault";
            case ExceptionVector.CoprocessorSegmentOverrun: return "coprocessor segment overrun";
            case ExceptionVector.InvalidTss: return "#TS invalid TSS";
            case ExceptionVector.SegmentNotPresent: return "#NP segment not present";
            case ExceptionVector.StackSegmentFault: return "#SS stack-segment fault";
            case ExceptionVector.GeneralProtection: return "#GP general protection";
            case ExceptionVector.PageFault: return "#PF page fault";
            case ExceptionVector.X87FloatingPoint: return "#MF x87 floating-point";
            case ExceptionVector.AlignmentCheck: return "#AC alignment check";
            case ExceptionVector.MachineCheck: return "#MC machine check";
            case ExceptionVector.SimdFloatingPoint: return "#XM SIMD floating-point";
            case ExceptionVector.Virtualization: return "#VE virtualization";
            case ExceptionVector.ControlProtection: return "#CP control protection";
            case ExceptionVector.HypervisorInjection: return "#HV hypervisor injection";
            case ExceptionVector.VmmCommunication: return "#VC VMM communication";
            case ExceptionVector.Security: return "#SX security";
            default: return null;
        }
    }

    private static void WriteExceptionName(int vector)
    {
        string name = ExceptionName((ExceptionVector)vector);
        if (name == null)
        {
            Console.Write("reserved ");
            Console.WriteDecimal((ulong)vector);
            return;
        }
        Console.Write(name);
    }

    /// <summary>Decodes the page-fault error code (SDM Vol. 3A, 4.7, Figure 4-12).</summary>
    public static void WritePageFaultErrorCode(ulong code)
    {
        Console.Write(" [");
        Console.Write((code & 1) != 0 ? "protection violation" : "not present");
        Console.Write((code & 2) != 0 ? ", write" : ", read");
        Console.Write((code & 4) != 0 ? ", user" : ", supervisor");
        if ((code & 8) != 0)
        {
            Console.Write(", reserved bit set");
        }
        if ((code & 16) != 0)
        {
            Console.Write(", instruction fetch");
        }
        if ((code & 32) != 0)
        {
            Console.Write(", protection key");
        }
        Console.Write("]");
    }

    private static void Begin(string reason)
    {
        Cpu.DisableInterrupts();
        if (s_inPanic)
        {
            Console.WriteLine();
            Console.Write("panic while panicking: ");
            Console.WriteLine(reason);
            Exit();
        }
        s_inPanic = true;
        Console.WriteLine();
        Console.Write("KERNEL PANIC: ", ConsoleColor.LightRed);
        Console.WriteLine(reason);
    }

    private static void WriteMessage(string message)
    {
        if (message != null)
        {
            Console.Write("message: ");
            Console.WriteLine(message);
        }
    }

    private static void WriteRegisters(InterruptFrame* frame)
    {
        WriteRegister("RAX", frame->Rax); WriteRegister(" RBX", frame->Rbx); WriteRegister(" RCX", frame->Rcx); Console.WriteLine();
        WriteRegister("RDX", frame->Rdx); WriteRegister(" RSI", frame->Rsi); WriteRegister(" RDI", frame->Rdi); Console.WriteLine();
        WriteRegister("RBP", frame->Rbp); WriteRegister(" RSP", frame->Rsp); WriteRegister(" R8 ", frame->R8); Console.WriteLine();
        WriteRegister("R9 ", frame->R9); WriteRegister(" R10", frame->R10); WriteRegister(" R11", frame->R11); Console.WriteLine();
        WriteRegister("R12", frame->R12); WriteRegister(" R13", frame->R13); WriteRegister(" R14", frame->R14); Console.WriteLine();
        WriteRegister("R15", frame->R15); WriteRegister(" RFL", frame->Rflags); WriteRegister(" CS ", frame->Cs); Console.WriteLine();
        WriteRegister("CR0", Cpu.ReadCr0()); WriteRegister(" CR3", Cpu.ReadCr3()); WriteRegister(" CR4", Cpu.ReadCr4()); Console.WriteLine();
    }

    private static void WriteRegister(string name, ulong value)
    {
        Console.Write(name);
        Console.Write("=");
        Console.WriteHex(value);
    }

    /// <summary>
    /// Follows the frame-pointer chain ([rbp] = caller's rbp, [rbp+8] = return address). Where the chain
    /// ends early (code without a frame pointer), scans the stack for words that point into the kernel's
    /// code and marks those frames with '?', as Linux does for unreliable entries.
    /// </summary>
    private static void WriteBacktrace(ulong rip, ulong rbp, ulong rsp)
    {
        Console.WriteLine("backtrace:");
        int frames = 0;
        if (rip != 0)
        {
            WriteFrame(frames++, rip, false);
        }
        if (Memory.KernelStacks.IsGuardPage(rsp))
        {
            // A stack overflow: RSP points into the unmapped guard page. Reading there would fault again,
            // so the walk starts at the first word of the stack above it.
            rsp = (rsp & ~0xFFFUL) + 0x1000;
        }
        ulong stackLow = rsp & ~0xFFFUL;
        ulong stackHigh = Memory.KernelStacks.TopOfStackContaining(rsp);
        bool rbpOnStack = rbp >= stackLow && rbp + 8 < stackHigh;
        if (rip != 0 && rsp != 0 && IsCode(*(ulong*)rsp) && (!rbpOnStack || *(ulong*)rsp != *(ulong*)(rbp + 8)))
        {
            // Faulted in a function that has not pushed a frame yet (a leaf): its return address is
            // the word at RSP. Probable, not certain, so marked as a guess.
            WriteFrame(frames++, *(ulong*)rsp, true);
        }
        ulong fp = rbp;
        while (frames < MaxFrames && fp >= stackLow && fp < stackHigh && (fp & 7) == 0)
        {
            ulong returnAddress = *(ulong*)(fp + 8);
            if (!IsCode(returnAddress))
            {
                break;
            }
            WriteFrame(frames++, returnAddress, false);
            ulong next = *(ulong*)fp;
            if (next <= fp)
            {
                break;
            }
            fp = next;
        }
        if (frames < 3)
        {
            ulong* scan = (ulong*)(rsp & ~7UL);
            for (int i = 0; i < 512 && frames < MaxFrames; i++)
            {
                if ((ulong)(scan + i) >= stackHigh)
                {
                    break;
                }
                ulong candidate = scan[i];
                if (IsCode(candidate) && candidate != rip)
                {
                    WriteFrame(frames++, candidate, true);
                }
            }
        }
    }

    private static bool IsCode(ulong address) => address >= TextStart() && address < TextEnd();

    private static void WriteFrame(int index, ulong address, bool guess)
    {
        Console.Write(guess ? "  ? #" : "    #");
        Console.WriteDecimal((ulong)index);
        Console.Write(" ");
        Console.WriteHex(address);
        Console.Write(" ");
        if (IsCode(address))
        {
            Symbols.WriteSymbol(address);
        }
        else
        {
            // Not in .text (a call to a bad address): the nearest symbol would name the wrong thing.
            Console.Write("(not kernel code)");
        }
        Console.WriteLine();
    }

    private static void End()
    {
        Console.WriteLine(Boot.Multiboot.HasOption("panic=exit") ? "panic=exit: leaving QEMU with the failure code" : "system halted.");
        Exit();
    }

    private static void Exit()
    {
        if (Boot.Multiboot.HasOption("panic=exit"))
        {
            QemuExit.Fail();
        }
        Cpu.HaltForever();
    }
}
