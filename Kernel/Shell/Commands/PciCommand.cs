using Kernel.Drivers;

namespace Kernel.Shell.Commands;

/// <summary>Lists the PCI functions the configuration-space scan found.</summary>
internal sealed class PciCommand : ShellCommand
{
    public override string Name => "pci";

    public override string Summary => "list PCI functions (bus:dev.fn, ids, class)";

    public override void Execute(CommandLine line)
    {
        if (line.Count != 1)
        {
            PrintUsage();
            return;
        }
        Pci.EnsureScanned();
        for (int i = 0; i < Pci.Count; i++)
        {
            PciDevice device = Pci.Get(i);
            Console.WriteHexDigits(device.Bus, 2);
            Console.Write(':');
            Console.WriteHexDigits(device.Device, 2);
            Console.Write('.');
            Console.WriteHexDigits(device.Function, 1);
            Console.Write(' ');
            Console.WriteHexDigits(device.VendorId, 4);
            Console.Write(':');
            Console.WriteHexDigits(device.DeviceId, 4);
            Console.Write(" class ");
            Console.WriteHexDigits(device.ClassCode, 2);
            Console.Write('.');
            Console.WriteHexDigits(device.Subclass, 2);
            Console.Write('.');
            Console.WriteHexDigits(device.ProgrammingInterface, 2);
            Console.Write(' ');
            Console.WriteLine(ClassName(device.ClassCode, device.Subclass));
        }
        Console.WriteDecimal((ulong)Pci.Count);
        Console.WriteLine(Pci.Truncated ? " functions (list truncated)" : " functions");
    }

    /// <summary>Names for the classes a PC emulator or small machine shows (PCI Code and ID Assignment, ch. 1).</summary>
    private static string ClassName(byte classCode, byte subclass)
    {
        switch (classCode)
        {
            case 0x01:
                switch (subclass)
                {
                    case 0x00: return "SCSI controller";
                    case 0x01: return "IDE controller";
                    case 0x05: return "ATA controller";
                    case 0x06: return "SATA controller";
                    case 0x08: return "NVM controller";
                    default: return "mass storage controller";
                }
            case 0x02: return "network controller";
            case 0x03: return "display controller";
            case 0x04: return "multimedia controller";
            case 0x05: return "memory controller";
            case 0x06:
                switch (subclass)
                {
                    case 0x00: return "host bridge";
                    case 0x01: return "ISA bridge";
                    case 0x04: return "PCI-to-PCI bridge";
                    default: return "bridge";
                }
            case 0x07: return "communication controller";
            case 0x08: return "system peripheral";
            case 0x0C:
                switch (subclass)
                {
                    case 0x03: return "USB controller";
                    case 0x05: return "SMBus controller";
                    default: return "serial bus controller";
                }
            default: return "other";
        }
    }
}
