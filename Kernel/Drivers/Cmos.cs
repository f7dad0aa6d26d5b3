using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// The MC146818-compatible CMOS RAM of the real-time clock: an index port and a data port. The firmware
/// keeps the machine's configuration there, e.g. the floppy drive types in register 0x10.
/// </summary>
internal static class Cmos
{
    private const ushort IndexPort = 0x70;
    private const ushort DataPort = 0x71;

    /// <summary>Drive types: bits 7-4 the first drive, bits 3-0 the second (0 none, 4 = 3.5" 1.44 MB).</summary>
    public const byte FloppyDriveTypes = 0x10;

    /// <summary>
    /// Reads one register. Bit 7 of the index port gates NMI; it stays clear (NMI enabled). Interrupts are
    /// off between the two port accesses so no handler can move the index in between.
    /// </summary>
    public static byte Read(byte register)
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        Cpu.OutByte(IndexPort, (byte)(register & 0x7F));
        Cpu.IoDelay();
        byte value = Cpu.InByte(DataPort);
        Cpu.RestoreInterrupts(flags);
        return value;
    }
}
