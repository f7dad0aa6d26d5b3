using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// PCI configuration space through configuration mechanism #1 (PCI Local Bus Specification 3.0,
/// section 3.2.2.3.2): a dword written to CONFIG_ADDRESS (0xCF8) selects bus, device, function and
/// register; CONFIG_DATA (0xCFC-0xCFF) then reads or writes it. The scan walks every bus, device and
/// function once and keeps what it found.
/// </summary>
internal static class Pci
{
    public const int MaxDevices = 64;
    private const int BusCount = 256;
    private const int DevicesPerBus = 32;
    private const int FunctionsPerDevice = 8;

    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const uint ConfigEnable = 0x80000000;

    // Header offsets common to every header type.
    private const byte VendorIdOffset = 0x00;
    private const byte DeviceIdOffset = 0x02;
    private const byte RevisionOffset = 0x08;
    private const byte ProgrammingInterfaceOffset = 0x09;
    private const byte SubclassOffset = 0x0A;
    private const byte ClassCodeOffset = 0x0B;
    private const byte HeaderTypeOffset = 0x0E;

    /// <summary>Vendor ID read back when no function answers (the bus floats high).</summary>
    private const ushort NoVendor = 0xFFFF;

    /// <summary>Header type bit 7: the device implements functions 1-7 as well.</summary>
    private const byte MultiFunction = 0x80;

    private static PciDevice[] s_devices;
    private static int s_count;
    private static bool s_truncated;

    public static int Count => s_count;

    /// <summary>The scan found more than <see cref="MaxDevices"/> functions and kept the first ones.</summary>
    public static bool Truncated => s_truncated;

    public static PciDevice Get(int index) => s_devices[index];

    /// <summary>Scans the buses on the first call; later calls return at once.</summary>
    public static void EnsureScanned()
    {
        if (s_devices != null)
        {
            return;
        }
        s_devices = new PciDevice[MaxDevices];
        for (int bus = 0; bus < BusCount; bus++)
        {
            for (int device = 0; device < DevicesPerBus; device++)
            {
                if (ReadWord((byte)bus, (byte)device, 0, VendorIdOffset) == NoVendor)
                {
                    continue;
                }
                bool multiFunction = (ReadByte((byte)bus, (byte)device, 0, HeaderTypeOffset) & MultiFunction) != 0;
                int functions = multiFunction ? FunctionsPerDevice : 1;
                for (int function = 0; function < functions; function++)
                {
                    if (ReadWord((byte)bus, (byte)device, (byte)function, VendorIdOffset) != NoVendor)
                    {
                        Add((byte)bus, (byte)device, (byte)function);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The first function of class <paramref name="classCode"/> and subclass <paramref name="subclass"/>
    /// at or after index <paramref name="start"/>; -1 when there is none.
    /// </summary>
    public static int Find(byte classCode, byte subclass, int start = 0)
    {
        EnsureScanned();
        for (int i = start; i < s_count; i++)
        {
            if (s_devices[i].ClassCode == classCode && s_devices[i].Subclass == subclass)
            {
                return i;
            }
        }
        return -1;
    }

    private static void Add(byte bus, byte device, byte function)
    {
        if (s_count == MaxDevices)
        {
            s_truncated = true;
            return;
        }
        PciDevice found = default;
        found.Bus = bus;
        found.Device = device;
        found.Function = function;
        found.VendorId = ReadWord(bus, device, function, VendorIdOffset);
        found.DeviceId = ReadWord(bus, device, function, DeviceIdOffset);
        found.Revision = ReadByte(bus, device, function, RevisionOffset);
        found.ProgrammingInterface = ReadByte(bus, device, function, ProgrammingInterfaceOffset);
        found.Subclass = ReadByte(bus, device, function, SubclassOffset);
        found.ClassCode = ReadByte(bus, device, function, ClassCodeOffset);
        found.HeaderType = ReadByte(bus, device, function, HeaderTypeOffset);
        s_devices[s_count++] = found;
    }

    /// <summary>
    /// CONFIG_ADDRESS: bit 31 enable, bits 23-16 bus, 15-11 device, 10-8 function, 7-2 the dword
    /// register; bits 1-0 are zero (the byte within the dword is chosen by the CONFIG_DATA port used).
    /// </summary>
    private static uint Address(byte bus, byte device, byte function, byte offset)
        => ConfigEnable | (uint)bus << 16 | (uint)(device & 0x1F) << 11 | (uint)(function & 0x7) << 8 | (uint)(offset & 0xFC);

    // Port I/O to CONFIG_ADDRESS and CONFIG_DATA is a pair no interrupt handler may split; the kernel's
    // handlers never touch PCI, so no locking is needed on this single CPU.
    public static uint ReadDword(byte bus, byte device, byte function, byte offset)
    {
        Cpu.OutDword(ConfigAddress, Address(bus, device, function, offset));
        return Cpu.InDword(ConfigData);
    }

    public static ushort ReadWord(byte bus, byte device, byte function, byte offset)
    {
        Cpu.OutDword(ConfigAddress, Address(bus, device, function, offset));
        return Cpu.InWord((ushort)(ConfigData + (offset & 2)));
    }

    public static byte ReadByte(byte bus, byte device, byte function, byte offset)
    {
        Cpu.OutDword(ConfigAddress, Address(bus, device, function, offset));
        return Cpu.InByte((ushort)(ConfigData + (offset & 3)));
    }

    public static void WriteWord(byte bus, byte device, byte function, byte offset, ushort value)
    {
        Cpu.OutDword(ConfigAddress, Address(bus, device, function, offset));
        Cpu.OutWord((ushort)(ConfigData + (offset & 2)), value);
    }
}
