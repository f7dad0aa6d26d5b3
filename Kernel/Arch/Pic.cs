namespace Kernel.Arch;

/// <summary>
/// The two cascaded 8259A interrupt controllers. At power-on their vectors overlap the CPU exceptions,
/// so they are remapped to 32-47; every line starts masked and drivers unmask what they handle.
/// </summary>
internal static class Pic
{
    private const ushort MasterCommand = 0x20;
    private const ushort MasterData = 0x21;
    private const ushort SlaveCommand = 0xA0;
    private const ushort SlaveData = 0xA1;
    private const byte Icw1Init = 0x11;      // edge triggered, cascade, ICW4 follows
    private const byte Icw4Mode8086 = 0x01;
    private const byte EndOfInterrupt = 0x20;
    private const byte ReadInService = 0x0B;
    private const int CascadeLine = 2;
    private const byte LowestPriorityLine = 1 << 7; // IRQ 7 / 15 in the in-service register

    public static void Initialize()
    {
        Cpu.OutByte(MasterCommand, Icw1Init);
        Cpu.IoDelay();
        Cpu.OutByte(SlaveCommand, Icw1Init);
        Cpu.IoDelay();
        Cpu.OutByte(MasterData, Idt.IrqBase);
        Cpu.IoDelay();
        Cpu.OutByte(SlaveData, Idt.IrqBase + 8);
        Cpu.IoDelay();
        Cpu.OutByte(MasterData, 1 << CascadeLine);
        Cpu.IoDelay();
        Cpu.OutByte(SlaveData, CascadeLine);
        Cpu.IoDelay();
        Cpu.OutByte(MasterData, Icw4Mode8086);
        Cpu.IoDelay();
        Cpu.OutByte(SlaveData, Icw4Mode8086);
        Cpu.IoDelay();
        Cpu.OutByte(MasterData, 0xFF & ~(1 << CascadeLine));
        Cpu.OutByte(SlaveData, 0xFF);
    }

    public static void Unmask(int irq)
    {
        ushort port = irq < 8 ? MasterData : SlaveData;
        Cpu.OutByte(port, (byte)(Cpu.InByte(port) & ~(1 << (irq & 7))));
    }

    public static void Mask(int irq)
    {
        ushort port = irq < 8 ? MasterData : SlaveData;
        Cpu.OutByte(port, (byte)(Cpu.InByte(port) | (1 << (irq & 7))));
    }

    /// <summary>
    /// A spurious IRQ 7 or 15 (the line dropped before the CPU acknowledged it) is not in service and
    /// must not be acknowledged, except that a spurious 15 still needs an EOI on the master's cascade.
    /// </summary>
    public static bool IsSpurious(int irq)
    {
        if (irq != 7 && irq != 15)
        {
            return false;
        }
        ushort command = irq == 7 ? MasterCommand : SlaveCommand;
        Cpu.OutByte(command, ReadInService);
        if ((Cpu.InByte(command) & LowestPriorityLine) != 0)
        {
            return false;
        }
        if (irq == 15)
        {
            Cpu.OutByte(MasterCommand, EndOfInterrupt);
        }
        return true;
    }

    public static void Acknowledge(int irq)
    {
        if (irq >= 8)
        {
            Cpu.OutByte(SlaveCommand, EndOfInterrupt);
        }
        Cpu.OutByte(MasterCommand, EndOfInterrupt);
    }
}
