using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Arch;

/// <summary>
/// The machine side of switching threads (switch.asm): swapping kernel stacks, and the first code a new
/// thread runs. Policy (who runs next, what happens to a thread that ended) is the scheduler's, which
/// registers the hook every switched-to thread calls first.
/// </summary>
internal static unsafe class ContextSwitch
{
    /// <summary>What <see cref="Switch"/> pushes: rbp, rbx, r12, r13, r14, r15.</summary>
    public const int SavedRegisters = 6;

    /// <summary>
    /// Below the registers, <see cref="Switch"/> keeps the thread's whole FPU state: an FXSAVE image of 512
    /// bytes, 16-byte aligned, and 8 bytes that align it (switch.asm, SWITCH_FPU_BYTES).
    /// </summary>
    public const int FpuAreaBytes = 520;

    private const int FxsaveBytes = 512;

    // The reset FPU state as an FXSAVE image (switch.asm's initial_fpu_state, which a new program's first entry
    // to ring 3 loads too).
    [RuntimeImport("*", "KernelInitialFpuStateAddress")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern byte* InitialFpuState();

    /// <summary>
    /// Lays down below <paramref name="stack"/> (just under a new thread's saved registers) the FPU area its
    /// first switch restores: the reset state. Returns the thread's saved stack pointer.
    /// </summary>
    public static ulong* PushInitialFpuState(ulong* stack)
    {
        byte* area = (byte*)stack - FpuAreaBytes;
        Unsafe.CopyBlock(area, InitialFpuState(), FxsaveBytes);
        Unsafe.InitBlock(area + FxsaveBytes, 0, FpuAreaBytes - FxsaveBytes);
        return (ulong*)area;
    }

    [RuntimeImport("*", "KernelSwitchStack")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void SwitchStack(ulong* saveStackPointer, ulong stackPointer);

    [RuntimeImport("*", "KernelThreadStartUserAddress")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern ulong StartUserAddress();

    [RuntimeImport("*", "KernelThreadStartKernelAddress")] [MethodImpl(MethodImplOptions.InternalCall)]
    public static extern ulong StartKernelAddress();

    private static delegate*<void> s_finishHook;

    public static void SetFinishHook(delegate*<void> hook) => s_finishHook = hook;

    /// <summary>
    /// Saves the current thread's stack pointer in <paramref name="saveStackPointer"/> and continues the
    /// thread whose saved stack pointer is <paramref name="stackPointer"/>. Returns when some thread
    /// switches back. Interrupts must be disabled.
    /// </summary>
    public static void Switch(ulong* saveStackPointer, ulong stackPointer)
    {
        SwitchStack(saveStackPointer, stackPointer);
        s_finishHook();
    }

    /// <summary>Where a new kernel thread's first switch lands (see switch.asm); it calls the same hook.</summary>
    [UnmanagedCallersOnly(EntryPoint = "KernelThreadFinishSwitch")]
    private static void FinishNewThread()
    {
        s_finishHook();
    }

    /// <summary>
    /// Where a new user thread's first switch lands, just before its first IRETQ to ring 3 through
    /// <paramref name="frame"/>: the same hook, then the way back to ring 3 every thread takes (where a
    /// process killed before it ever ran ends).
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "KernelThreadEnterUser")]
    private static void EnterUser(InterruptFrame* frame)
    {
        s_finishHook();
        Interrupts.ReturnToUser(frame);
    }
}
