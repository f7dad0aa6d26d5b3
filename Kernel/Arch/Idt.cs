using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Arch;

/// <summary>
/// The interrupt descriptor table: 16-byte interrupt gates for the 32 exception vectors and the 16
/// remapped PIC lines, all entering the stubs of interrupts.asm (SDM Vol. 3A, 6.14.1).
/// </summary>
internal static unsafe class Idt
{
    public const int ExceptionCount = 32;
    public const int IrqBase = 32;
    public const int IrqCount = 16;
    public const int VectorCount = 256;
    private const int EntryCount = 256;
    private const byte InterruptGate = 0x8E;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct Gate
    {
        public ushort OffsetLow;
        public ushort Selector;
        public byte Ist;
        public byte TypeAttributes;
        public ushort OffsetMiddle;
        public uint OffsetHigh;
        public uint Reserved;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct Descriptor
    {
        public ushort Limit;
        public ulong Base;
    }

    [RuntimeImport("*", "KernelVectorTableAddress")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong* VectorTable();

    private static Gate* s_gates;

    public static void Initialize()
    {
        s_gates = (Gate*)Memory.ObjectAllocator.AllocateZeroed((nuint)(EntryCount * sizeof(Gate)));
        ulong* stubs = VectorTable();
        for (int vector = 0; vector < VectorCount; vector++)
        {
            ulong handler = stubs[vector];
            Gate* gate = s_gates + vector;
            gate->OffsetLow = (ushort)handler;
            gate->Selector = Gdt.KernelCode;
            gate->Ist = (byte)(vector == (int)ExceptionVector.DoubleFault || vector == (int)ExceptionVector.NonMaskableInterrupt ? Gdt.DoubleFaultIst : 0);
            gate->TypeAttributes = InterruptGate;
            gate->OffsetMiddle = (ushort)(handler >> 16);
            gate->OffsetHigh = (uint)(handler >> 32);
        }
        Descriptor descriptor;
        descriptor.Limit = (ushort)(EntryCount * sizeof(Gate) - 1);
        descriptor.Base = (ulong)s_gates;
        Cpu.LoadIdt(&descriptor);
    }
}
