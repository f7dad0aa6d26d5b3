using Kernel.Abi;
using Kernel.Arch;
using Kernel.Mem.User;

namespace Kernel.Tasks
{
    /// <summary>
    /// Exceptions raised in ring 3. Whatever a program does wrong ends that program, never the kernel: the
    /// process is killed with the signal Linux would send and a reason that names the exception, the address
    /// and RIP, and the kernel goes on.
    /// </summary>
    internal static unsafe class UserFaults
    {
        /// <summary>The hook Arch calls for an exception from ring 3 (CR2 in <paramref name="faultAddress"/> for #PF).</summary>
        public static void OnException(InterruptFrame* frame, ulong faultAddress)
        {
            Process current = ProcessManager.Current;
            ExceptionVector vector = (ExceptionVector)frame->Vector;
            bool machineEvent = vector == ExceptionVector.NonMaskableInterrupt || vector == ExceptionVector.MachineCheck || vector == ExceptionVector.DoubleFault;
            if (current == null || current.IsKernelTask || machineEvent)
            {
                // Not the program's doing (a hardware event, or ring 3 without a user process, a kernel bug).
                PanicScreen.ShowException(frame, faultAddress);
                return;
            }
            if (vector == ExceptionVector.PageFault)
            {
                current.PageFaults++;
            }
            if (!ProcessManager.RequestKill(current, SignalFor(vector), out ReasonBuilder reason))
            {
                ProcessManager.ExitKilled(current.Signal);
                return;
            }
            Describe(reason, frame, vector, faultAddress);
            ProcessManager.ExitKilled(current.Signal);
        }

        /// <summary>
        /// The hook Arch calls when a system call's copy faulted on a user address: true when the page was made
        /// accessible and the copy may retry. Nothing is backed lazily yet, so the copy fails with -EFAULT.
        /// </summary>
        public static bool OnKernelAccess(ulong address, ulong errorCode) => false;

        private static int SignalFor(ExceptionVector vector)
        {
            switch (vector)
            {
                case ExceptionVector.DivideError:
                case ExceptionVector.X87FloatingPoint:
                case ExceptionVector.SimdFloatingPoint:
                    return Signal.SIGFPE;
                case ExceptionVector.InvalidOpcode:
                    return Signal.SIGILL;
                case ExceptionVector.Debug:
                case ExceptionVector.Breakpoint:
                    return Signal.SIGTRAP;
                case ExceptionVector.AlignmentCheck:
                    return Signal.SIGBUS;
                default:
                    return Signal.SIGSEGV;
            }
        }

        private static void Describe(ReasonBuilder reason, InterruptFrame* frame, ExceptionVector vector, ulong faultAddress)
        {
            switch (vector)
            {
                case ExceptionVector.PageFault:
                    UserPageFaultKind kind = UserPageFault.Classify(faultAddress, frame->ErrorCode);
                    reason.Text(UserPageFault.Describe(kind, frame->ErrorCode)).Text(" ").Hex(faultAddress);
                    break;
                case ExceptionVector.GeneralProtection when frame->ErrorCode == 0:
                    reason.Text("general protection fault (a privileged instruction or a non-canonical address)");
                    break;
                case ExceptionVector.GeneralProtection:
                    // A selector error code: a far transfer, a segment load or an INT n through a kernel gate.
                    reason.Text("general protection fault, error code ").Hex(frame->ErrorCode);
                    break;
                case ExceptionVector.DivideError:
                    reason.Text("divide error (division by zero or overflow)");
                    break;
                case ExceptionVector.InvalidOpcode:
                    reason.Text("invalid opcode");
                    break;
                case ExceptionVector.StackSegmentFault:
                    reason.Text("stack-segment fault (a non-canonical stack address)");
                    break;
                case ExceptionVector.SimdFloatingPoint:
                case ExceptionVector.X87FloatingPoint:
                    reason.Text("floating-point exception");
                    break;
                case ExceptionVector.AlignmentCheck:
                    reason.Text("alignment check");
                    break;
                case ExceptionVector.Debug:
                    reason.Text("debug trap (single-step)");
                    break;
                default:
                    reason.Text("CPU exception ").Decimal(frame->Vector).Text(" error code ").Hex(frame->ErrorCode);
                    break;
            }
            reason.Text(" at rip ").Hex(frame->Rip);
        }
    }
}
