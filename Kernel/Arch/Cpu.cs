using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Arch;

/// <summary>The CPU instructions C# cannot express, bound to the stubs in cpu.asm.</summary>
internal static unsafe class Cpu
{
    [RuntimeImport("*", "CpuInByte")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern byte InByte(ushort port);
    [RuntimeImport("*", "CpuInWord")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ushort InWord(ushort port);
    [RuntimeImport("*", "CpuInDword")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern uint InDword(ushort port);
    [RuntimeImport("*", "CpuOutByte")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void OutByte(ushort port, byte value);
    [RuntimeImport("*", "CpuOutWord")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void OutWord(ushort port, ushort value);
    [RuntimeImport("*", "CpuOutDword")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void OutDword(ushort port, uint value);
    [RuntimeImport("*", "CpuReadCr0")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadCr0();
    [RuntimeImport("*", "CpuReadCr2")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadCr2();
    [RuntimeImport("*", "CpuReadCr3")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadCr3();
    [RuntimeImport("*", "CpuReadCr4")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadCr4();
    [RuntimeImport("*", "CpuWriteCr0")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void WriteCr0(ulong value);
    [RuntimeImport("*", "CpuWriteCr3")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void WriteCr3(ulong value);
    [RuntimeImport("*", "CpuWriteCr4")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void WriteCr4(ulong value);
    [RuntimeImport("*", "CpuReadMsr")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadMsr(uint msr);
    [RuntimeImport("*", "CpuWriteMsr")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void WriteMsr(uint msr, ulong value);
    [RuntimeImport("*", "CpuId")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void CpuId(uint leaf, uint subleaf, uint* result);
    [RuntimeImport("*", "CpuReadTsc")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadTsc();
    [RuntimeImport("*", "CpuInvalidatePage")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void InvalidatePage(ulong virtualAddress);
    [RuntimeImport("*", "CpuHalt")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void HaltForever();
    [RuntimeImport("*", "CpuDisableInterrupts")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void DisableInterrupts();
    [RuntimeImport("*", "CpuEnableInterrupts")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void EnableInterrupts();
    [RuntimeImport("*", "CpuWaitForInterrupt")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void WaitForInterrupt();
    [RuntimeImport("*", "CpuPause")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void Pause();
    [RuntimeImport("*", "CpuBreakpoint")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void Breakpoint();
    [RuntimeImport("*", "CpuReadFlags")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadFlags();
    [RuntimeImport("*", "CpuReadFramePointer")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadFramePointer();
    [RuntimeImport("*", "CpuReadStackPointer")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadStackPointer();
    [RuntimeImport("*", "CpuLoadIdt")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void LoadIdt(void* descriptor);
    [RuntimeImport("*", "CpuLoadGdt")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void LoadGdt(void* descriptor, ushort codeSelector, ushort dataSelector);
    [RuntimeImport("*", "CpuLoadTaskRegister")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void LoadTaskRegister(ushort selector);

    [RuntimeImport("*", "CpuInvalidOpcode")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void InvalidOpcode();

    [RuntimeImport("*", "CpuCompareExchange32")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern int CompareExchange32(int* location, int value, int comparand);

    /// <summary>Saves RFLAGS, disables interrupts and takes the spin lock word (0 to 1); returns the saved RFLAGS.</summary>
    [RuntimeImport("*", "CpuSpinLockAcquire")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong SpinLockAcquire(uint* word);

    /// <summary>Frees the spin lock word and enables interrupts again when <paramref name="flags"/> had them on.</summary>
    [RuntimeImport("*", "CpuSpinLockRelease")] [MethodImpl(MethodImplOptions.InternalCall)] public static extern void SpinLockRelease(uint* word, ulong flags);

    /// <summary>RFLAGS.IF: maskable interrupts are enabled (SDM Vol. 1, 3.4.3).</summary>
    public const ulong InterruptFlag = 1UL << 9;

    /// <summary>Disables interrupts and returns the previous RFLAGS for <see cref="RestoreInterrupts"/>.</summary>
    public static ulong SaveAndDisableInterrupts()
    {
        ulong flags = ReadFlags();
        DisableInterrupts();
        return flags;
    }

    /// <summary>Re-enables interrupts when <paramref name="flags"/> (from <see cref="SaveAndDisableInterrupts"/>) had them on.</summary>
    public static void RestoreInterrupts(ulong flags)
    {
        if ((flags & InterruptFlag) != 0)
        {
            EnableInterrupts();
        }
    }

    /// <summary>Waits about a microsecond by writing to the unused POST-code port, as Linux does.</summary>
    public static void IoDelay() => OutByte(0x80, 0);
}
