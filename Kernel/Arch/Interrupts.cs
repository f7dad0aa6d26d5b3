using System.Runtime.InteropServices;
using Kernel.Drivers;

namespace Kernel.Arch
{
    /// <summary>
    /// The managed side of every interrupt: exceptions go to their handlers or the panic screen, hardware
    /// interrupts to their drivers followed by an end-of-interrupt to the PIC.
    /// </summary>
    internal static unsafe class Interrupts
    {
        private const int TimerIrq = 0;
        private const int KeyboardIrq = 1;
        private const int SerialIrq = 4;

        private static ulong s_breakpoints;
        private static ulong s_spurious;

        public static ulong Breakpoints => s_breakpoints;

        public static ulong SpuriousInterrupts => s_spurious;

        public static void Initialize()
        {
            Gdt.Initialize();
            Idt.Initialize();
            Pic.Initialize();
            Pit.Initialize();
            Pic.Unmask(TimerIrq);
            Pic.Unmask(KeyboardIrq);
            Pic.Unmask(SerialIrq);
            SerialPort.EnableReceiveInterrupt();
            Keyboard.Initialize();
            Cpu.EnableInterrupts();
        }

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
            if (Pic.IsSpurious(irq))
            {
                s_spurious++;
                return;
            }
            switch (irq)
            {
                case TimerIrq:
                    Pit.OnTick();
                    break;
                case KeyboardIrq:
                    Keyboard.OnInterrupt();
                    break;
                case SerialIrq:
                    while (SerialPort.TryRead(out byte value))
                    {
                        InputQueue.Push((char)value);
                    }
                    break;
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
