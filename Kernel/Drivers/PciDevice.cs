namespace Kernel.Drivers;

/// <summary>
/// One PCI function found by the bus scan: where it is (bus, device, function) and what its
/// configuration header says it is. Reads and writes of its configuration space go through <see cref="Pci"/>.
/// </summary>
internal struct PciDevice
{
    // Type 0 header offsets (PCI Local Bus Specification 3.0, section 6.1).
    public const byte CommandOffset = 0x04;
    public const byte InterruptLineOffset = 0x3C;
    public const byte FirstBarOffset = 0x10;

    // Command register bits: 0 I/O space decoding, 1 memory space decoding, 2 bus master.
    public const ushort CommandIoSpace = 0x0001;
    public const ushort CommandMemorySpace = 0x0002;
    public const ushort CommandBusMaster = 0x0004;

    /// <summary>Bit 0 of a BAR: 1 for an I/O range, whose base is bits 31-2.</summary>
    public const uint BarIoSpace = 0x1;
    public const uint BarIoMask = 0xFFFFFFFC;

    public byte Bus;
    public byte Device;
    public byte Function;
    public ushort VendorId;
    public ushort DeviceId;
    public byte ClassCode;
    public byte Subclass;
    public byte ProgrammingInterface;
    public byte Revision;
    public byte HeaderType;

    public uint ReadDword(byte offset) => Pci.ReadDword(Bus, Device, Function, offset);

    public ushort ReadWord(byte offset) => Pci.ReadWord(Bus, Device, Function, offset);

    public byte ReadByte(byte offset) => Pci.ReadByte(Bus, Device, Function, offset);

    public void WriteWord(byte offset, ushort value) => Pci.WriteWord(Bus, Device, Function, offset, value);

    /// <summary>Base address register <paramref name="index"/> (0-5) as the firmware left it.</summary>
    public uint ReadBar(int index) => ReadDword((byte)(FirstBarOffset + index * 4));
}
