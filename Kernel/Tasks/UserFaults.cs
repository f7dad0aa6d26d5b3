using Kernel.Abi;
using Kernel.Arch;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Kernel.Memory;

namespace Kernel.Tasks;

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
            if (TryBack(current, faultAddress, frame->ErrorCode, frame->Rip))
            {
                return;
            }
        }
        if (!ProcessManager.RequestKill(current, SignalFor(vector), out ReasonBuilder reason))
        {
            // Already asked to end (an out-of-memory first touch, a kill): that reason stands.
            ProcessManager.ExitKilled(current.Signal);
            return;
        }
        Describe(reason, frame, vector, faultAddress);
        ProcessManager.ExitKilled(current.Signal);
    }

    /// <summary>
    /// The hook Arch calls when a system call's copy faulted on a user address: true when the page was a
    /// reserved heap page and is now backed, so the copy retries; false makes the copy fail with -EFAULT.
    /// An out-of-memory kill names the RIP the program made the system call from.
    /// </summary>
    public static bool OnKernelAccess(ulong address, ulong errorCode)
    {
        Process current = ProcessManager.Current;
        if (current == null || current.AddressSpace == null)
        {
            return false;
        }
        current.PageFaults++;
        InterruptFrame* entry = Scheduler.Current.UserFrame;
        ulong rip = entry->Vector == SyscallGate.Vector ? entry->Rip : 0;
        return TryBack(current, address, errorCode, rip);
    }

    /// <summary>
    /// Backs a reserved, not-present user-heap page on its first touch (FOS's placement). When no frame is
    /// left, the process is marked to end with "out of memory" (it ends on its way back to ring 3, giving
    /// every frame back) and false is returned, as for any page that is not a reserved one.
    /// </summary>
    private static bool TryBack(Process process, ulong address, ulong errorCode, ulong rip)
    {
        if ((errorCode & (ulong)PageFaultErrorCode.Present) != 0 || address >= UserLayout.End || process.AddressSpace == null)
        {
            return false;
        }
        KernelPageStore store = default;
        UserMemoryStatus status = process.AddressSpace.BackPage(address, ref store);
        if (status == UserMemoryStatus.Ok)
        {
            return true;
        }
        if (status != UserMemoryStatus.NotReserved && ProcessManager.RequestKill(process, Signal.SIGKILL, out ReasonBuilder reason))
        {
            ulong page = MemConstants.AlignDown(address, MemConstants.PageSize);
            switch (status)
            {
                case UserMemoryStatus.PageFileFull:
                    reason.Text("page file full: no slot to evict a page to, for page ").Hex(page);
                    break;
                case UserMemoryStatus.PageFileError:
                    reason.Text("page file: the disk failed a transfer, for page ").Hex(page);
                    break;
                default:
                    reason.Text("out of memory: no frame left for page ").Hex(page);
                    break;
            }
            if (rip != 0)
            {
                reason.Text(" at rip ").Hex(rip);
                ProcessManager.AppendCodeSymbol(reason, process, rip);
            }
        }
        return false;
    }

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
                reason.Text(IsPrivilegedInstruction(frame->Rip)
                    ? "general protection fault: privileged instruction"
                    : "general protection fault: non-canonical address (or another protection check)");
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
        ProcessManager.AppendCodeSymbol(reason, ProcessManager.Current, frame->Rip);
    }

    /// <summary>
    /// #GP(0) from ring 3 is either an instruction only ring 0 may execute or an access through a
    /// non-canonical address; the opcode at RIP tells them apart (SDM Vol. 2: HLT F4, CLI FA, STI FB, IN/OUT
    /// E4-E7 and EC-EF, INS/OUTS 6C-6F, 0F 01 system instructions, 0F 06 CLTS, 0F 08/09 INVD/WBINVD,
    /// 0F 20-23 MOV CR/DR, 0F 30/32 WRMSR/RDMSR).
    /// </summary>
    private static bool IsPrivilegedInstruction(ulong rip)
    {
        byte* code = stackalloc byte[2];
        if (UserMemory.CopyFrom(code, rip, 2) != 0)
        {
            return false;
        }
        byte first = code[0];
        if (first == 0xF4 || first == 0xFA || first == 0xFB || (first >= 0xE4 && first <= 0xE7) || (first >= 0xEC && first <= 0xEF) || (first >= 0x6C && first <= 0x6F))
        {
            return true;
        }
        byte second = code[1];
        return first == 0x0F && (second == 0x01 || second == 0x06 || second == 0x08 || second == 0x09 || (second >= 0x20 && second <= 0x23) || second == 0x30 || second == 0x32);
    }
}
