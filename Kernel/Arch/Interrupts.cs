using System.Runtime.InteropServices;

namespace Kernel.Arch;

/// <summary>
/// The managed side of every interrupt: exceptions go to their handlers or the panic screen, hardware
/// interrupts to the handler a driver registered for the line, followed by an end-of-interrupt to the
/// PIC.
/// </summary>
internal static unsafe class Interrupts
{
    /// <summary>Lines of the two cascaded 8259As: 0-7 on the master, 8-15 on the slave.</summary>
    public const int IrqCount = 16;

    private const int TimerIrq = 0;

    // One handler per line, filled at driver initialisation and read by Dispatch; null means nobody
    // claimed the line (its interrupts are only acknowledged). Allocated before the heap exists, by the
    // early allocator, and never freed.
    private static delegate*<void>[] s_handlers;
    private static ulong[] s_irqCounts;
    private static ulong s_breakpoints;
    private static delegate*<InterruptFrame*, ulong, void> s_userException;
    private static delegate*<InterruptFrame*, void> s_returnToUser;
    private static delegate*<ulong, ulong, bool> s_userAccessFault;

    public static ulong Breakpoints => s_breakpoints;

    /// <summary>
    /// Loads the GDT (its TSS's IST1 at <paramref name="istStackTop"/>, the double-fault stack the memory
    /// layer reserves) and the IDT, programs the PIC and the PIT, and enables interrupts. The devices register
    /// their own lines afterwards (<see cref="Register"/>), as the input devices do in InputDevices.
    /// </summary>
    public static void Initialize(ulong istStackTop)
    {
        s_handlers = new delegate*<void>[IrqCount];
        s_irqCounts = new ulong[IrqCount];
        Gdt.Initialize(istStackTop);
        Idt.Initialize();
        Pic.Initialize();
        Pit.Initialize();
        Register(TimerIrq, &Pit.OnTick);
        Cpu.EnableInterrupts();
    }

    /// <summary>
    /// Makes <paramref name="handler"/> the handler of <paramref name="irq"/> and unmasks the line. The
    /// handler runs with interrupts disabled, on the interrupted stack, before the PIC's end-of-interrupt;
    /// it must silence its device's request (read a status register) and do little else. Returns false
    /// when the line is out of range or already has a handler: lines are not shared, since the ISA lines
    /// the PIC serves are edge triggered.
    /// </summary>
    public static bool Register(int irq, delegate*<void> handler)
    {
        if ((uint)irq >= IrqCount || handler == null)
        {
            return false;
        }
        if (s_handlers[irq] != null)
        {
            return false;
        }
        s_handlers[irq] = handler;
        Pic.Unmask(irq);
        return true;
    }

    /// <summary>
    /// Hooks of the process layer, which sits above Arch. <paramref name="userException"/> gets every
    /// exception raised in ring 3 (with CR2 for a page fault) and either resolves it or ends the process;
    /// <paramref name="returnToUser"/> runs last on every way back to ring 3 (interrupts and system calls),
    /// where a killed process ends and a preempted one yields; <paramref name="userAccessFault"/> is asked
    /// about a kernel fault on a user address at an exception-table instruction (a system call's copy)
    /// before its fixup runs, and returns true when it made the access possible (the copy is retried).
    /// </summary>
    public static void SetUserHooks(delegate*<InterruptFrame*, ulong, void> userException, delegate*<InterruptFrame*, void> returnToUser, delegate*<ulong, ulong, bool> userAccessFault)
    {
        s_userException = userException;
        s_returnToUser = returnToUser;
        s_userAccessFault = userAccessFault;
    }

    /// <summary>Whether the frame was saved on entry from ring 3 (its CS has RPL 3).</summary>
    public static bool IsFromUser(InterruptFrame* frame) => (frame->Cs & 3) == 3;

    /// <summary>Interrupts taken on <paramref name="irq"/> since boot (spurious ones excluded).</summary>
    public static ulong CountOf(int irq) => (uint)irq < IrqCount ? s_irqCounts[irq] : 0;

    [UnmanagedCallersOnly(EntryPoint = "KernelInterruptDispatch")]
    private static void Dispatch(InterruptFrame* frame)
    {
        int vector = (int)frame->Vector;
        if (vector < Idt.ExceptionCount)
        {
            HandleException(frame);
            ReturnToUser(frame);
            return;
        }
        int irq = vector - Idt.IrqBase;
        if (irq >= Idt.IrqCount)
        {
            // No device is routed above the PIC's 16 lines: this is a software `int n` or a bug.
            Panic.UnexpectedVector(frame);
            return;
        }
        if (Pic.IsSpurious(irq))
        {
            return;
        }
        s_irqCounts[irq]++;
        delegate*<void> handler = s_handlers[irq];
        if (handler != null)
        {
            handler();
        }
        Pic.Acknowledge(irq);
        ReturnToUser(frame);
    }

    /// <summary>The last step on every way back to ring 3: the process layer's hook (kill, preemption).</summary>
    public static void ReturnToUser(InterruptFrame* frame)
    {
        if (IsFromUser(frame) && s_returnToUser != null)
        {
            s_returnToUser(frame);
        }
    }

    /// <summary>
    /// A kernel fault at an instruction of the exception table (a copy from or to user memory): the process
    /// layer may make the access possible (back a reserved page), and the copy is retried; otherwise the
    /// copy resumes at its fixup, which returns -EFAULT.
    /// </summary>
    private static bool TryFixUserAccess(InterruptFrame* frame, ulong faultAddress)
    {
        bool memoryFault = frame->Vector == (ulong)ExceptionVector.PageFault || frame->Vector == (ulong)ExceptionVector.GeneralProtection;
        if (!memoryFault || !ExceptionTable.TryFind(frame->Rip, out ulong fixup))
        {
            return false;
        }
        if (frame->Vector == (ulong)ExceptionVector.PageFault && s_userAccessFault != null && s_userAccessFault(faultAddress, frame->ErrorCode))
        {
            return true;
        }
        frame->Rip = fixup;
        return true;
    }

    private static void HandleException(InterruptFrame* frame)
    {
        ExceptionVector vector = (ExceptionVector)frame->Vector;
        if (vector == ExceptionVector.Breakpoint)
        {
            // int3 is a trap: RIP already points past it, so returning resumes the caller.
            s_breakpoints++;
            return;
        }
        ulong faultAddress = vector == ExceptionVector.PageFault ? Cpu.ReadCr2() : 0;
        if (IsFromUser(frame) && s_userException != null)
        {
            s_userException(frame, faultAddress);
            return;
        }
        if (TryFixUserAccess(frame, faultAddress) || FaultProbe.TryRecover(frame, faultAddress))
        {
            return;
        }
        Panic.Exception(frame, faultAddress);
    }
}
