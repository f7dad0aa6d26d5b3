using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Arch;

/// <summary>
/// The global descriptor table of long mode: flat code and data segments for rings 0 and 3 and a task
/// state segment whose interrupt stack table gives double faults and NMIs a known-good stack, so a
/// kernel stack overflow still reaches the panic screen (SDM Vol. 3A, 7.7 and 6.14.5).
/// </summary>
internal static unsafe class Gdt
{
    public const ushort KernelCode = 0x08;
    public const ushort KernelData = 0x10;
    public const ushort UserData = 0x18 | 3;
    public const ushort UserCode = 0x20 | 3;
    public const ushort TaskState = 0x28;
    public const int DoubleFaultIst = 1;
    private const int EntryCount = 7;

    // System-segment access byte: present, DPL 0, type 9 = available 64-bit TSS (SDM Vol. 3A, Table 3-2).
    private const ulong AvailableTss64 = 0x89;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct TaskStateSegment
    {
        public uint Reserved0;
        public ulong Rsp0, Rsp1, Rsp2;
        public ulong Reserved1;
        public ulong Ist1, Ist2, Ist3, Ist4, Ist5, Ist6, Ist7;
        public ulong Reserved2;
        public ushort Reserved3;
        public ushort IoMapBase;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct Descriptor
    {
        public ushort Limit;
        public ulong Base;
    }

    private static ulong* s_table;
    private static TaskStateSegment* s_tss;

    /// <summary>Builds and loads the GDT and the TSS, whose IST1 (the double-fault stack) is <paramref name="istStackTop"/>.</summary>
    public static void Initialize(ulong istStackTop)
    {
        s_table = (ulong*)Memory.ObjectAllocator.AllocateZeroed(EntryCount * 8);
        s_tss = (TaskStateSegment*)Memory.ObjectAllocator.AllocateZeroed((nuint)sizeof(TaskStateSegment));
        s_tss->Ist1 = istStackTop;
        s_tss->IoMapBase = (ushort)sizeof(TaskStateSegment);

        // Access bytes: present, DPL, code/data, executable/writable; flags: long mode (L) for code.
        s_table[0] = 0;
        s_table[1] = 0x00AF9A000000FFFF; // kernel code
        s_table[2] = 0x00CF92000000FFFF; // kernel data
        s_table[3] = 0x00CFF2000000FFFF; // user data (DPL 3)
        s_table[4] = 0x00AFFA000000FFFF; // user code (DPL 3)
        ulong tssBase = (ulong)s_tss;
        ulong tssLimit = (ulong)sizeof(TaskStateSegment) - 1;
        s_table[5] = (tssLimit & 0xFFFF) | ((tssBase & 0xFFFFFF) << 16) | (AvailableTss64 << 40) | ((tssLimit >> 16 & 0xF) << 48) | ((tssBase >> 24 & 0xFF) << 56);
        s_table[6] = tssBase >> 32;

        Descriptor descriptor;
        descriptor.Limit = EntryCount * 8 - 1;
        descriptor.Base = (ulong)s_table;
        Cpu.LoadGdt(&descriptor, KernelCode, KernelData);
        Cpu.LoadTaskRegister(TaskState);
    }

    [RuntimeImport("*", "KernelSetSyscallStack")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void SetSyscallStack(ulong top);

    /// <summary>
    /// The stack the CPU switches to on an interrupt or exception from ring 3 (TSS.RSP0) and the one the
    /// SYSCALL entry switches to: the running thread's kernel stack, set at every switch.
    /// </summary>
    public static void SetKernelStack(ulong top)
    {
        s_tss->Rsp0 = top;
        SetSyscallStack(top);
    }
}
