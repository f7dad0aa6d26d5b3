using System.Runtime.InteropServices;
using Kernel.Drivers;

namespace Kernel.Arch
{
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
        private const int KeyboardIrq = 1;
        private const int SerialIrq = 4;

        // One handler per line, filled at driver initialisation and read by Dispatch; null means nobody
        // claimed the line (its interrupts are only acknowledged). Allocated before the heap exists, by the
        // early allocator, and never freed.
        private static delegate*<void>[] s_handlers;
        private static ulong[] s_irqCounts;
        private static ulong s_breakpoints;
        private static ulong s_spurious;
        private static ulong s_unclaimed;

        public static ulong Breakpoints => s_breakpoints;

        public static ulong SpuriousInterrupts => s_spurious;

        /// <summary>Interrupts on lines no driver registered for.</summary>
        public static ulong UnclaimedInterrupts => s_unclaimed;

        public static void Initialize()
        {
            s_handlers = new delegate*<void>[IrqCount];
            s_irqCounts = new ulong[IrqCount];
            Gdt.Initialize();
            Idt.Initialize();
            Pic.Initialize();
            Pit.Initialize();
            InputQueue.Initialize();
            Register(TimerIrq, &Pit.OnTick);
            Keyboard.Initialize();
            Register(KeyboardIrq, &Keyboard.OnInterrupt);
            Register(SerialIrq, &SerialPort.OnInterrupt);
            SerialPort.EnableReceiveInterrupt();
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

        /// <summary>Interrupts taken on <paramref name="irq"/> since boot (spurious ones excluded).</summary>
        public static ulong CountOf(int irq) => (uint)irq < IrqCount ? s_irqCounts[irq] : 0;

        [UnmanagedCallersOnly(EntryPoint = "KernelInterruptDispatch")]
        private static void Dispatch(InterruptFrame* frame)
        {
            int vector = (int)frame->Vector;
            if (vector < Idt.ExceptionCount)
            {
                HandleException(frame);
                return;
            }
            int irq = vector - Idt.IrqBase;
            if (irq >= Idt.IrqCount)
            {
                // No device is routed above the PIC's 16 lines: this is a software `int n` or a bug.
                PanicScreen.ShowUnexpectedVector(frame);
                return;
            }
            if (Pic.IsSpurious(irq))
            {
                s_spurious++;
                return;
            }
            s_irqCounts[irq]++;
            delegate*<void> handler = s_handlers[irq];
            if (handler != null)
            {
                handler();
            }
            else
            {
                s_unclaimed++;
            }
            Pic.Acknowledge(irq);
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
            if (FaultProbe.TryRecover(frame, faultAddress))
            {
                return;
            }
            PanicScreen.ShowException(frame, faultAddress);
        }
    }
}
