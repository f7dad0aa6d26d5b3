using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// The first PCI IDE controller (class 01h, subclass 01h): its two channels, each in compatibility or
/// native-PCI mode, and the ATA disks found by identifying all four positions. Facts cited are from the
/// PCI IDE Controller Specification rev. 1.0 and SFF-8038i rev. 1.0.
/// </summary>
internal static unsafe class IdeController
{
    public const uint SectorSize = IdeChannel.SectorSize;

    public const uint MaxSectorsPerCommand = IdeChannel.MaxSectorsPerCommand;

    public const string PrimaryName = "primary";
    public const string SecondaryName = "secondary";

    public const int ChannelCount = 2;

    private const byte MassStorageClass = 0x01;
    private const byte IdeSubclass = 0x01;

    // Programming interface ("Programming Interface Byte"): bit 0 the primary channel, bit 2 the secondary
    // channel runs in native-PCI mode (else compatibility), bit 7 a bus master exists.
    private const byte ProgIfPrimaryNative = 0x01;
    private const byte ProgIfSecondaryNative = 0x04;
    private const byte ProgIfBusMaster = 0x80;

    // Compatibility mode: the legacy ISA ports and IRQs of the two channels.
    private const ushort PrimaryCommandBase = 0x1F0;
    private const ushort PrimaryControlBase = 0x3F6;
    private const int PrimaryIrq = 14;
    private const ushort SecondaryCommandBase = 0x170;
    private const ushort SecondaryControlBase = 0x376;
    private const int SecondaryIrq = 15;
    // In native mode BAR0/BAR1 (primary) and BAR2/BAR3 (secondary) give the command block and a 4-byte
    // block whose byte 2 is the control register.
    private const ushort NativeControlOffset = 2;
    private const int BusMasterBar = 4;
    // The secondary channel's eight bus-master registers follow the primary's in the 16-byte BAR4 range.
    private const ushort SecondaryBusMasterOffset = 8;

    private static bool s_probed;
    private static IdeStatus s_probeStatus;
    private static PciDevice s_pci;
    private static IdeChannel[] s_channels;
    private static AtaDisk[] s_disks;
    private static int s_diskCount;

    public static PciDevice PciFunction => s_pci;

    /// <summary>Channel 0 (primary) or 1 (secondary); null before a successful probe.</summary>
    public static IdeChannel Channel(int index) => s_channels == null ? null : s_channels[index];

    /// <summary>ATA disks found, in the order primary master, primary slave, secondary master, secondary slave.</summary>
    public static int DiskCount => s_diskCount;

    public static AtaDisk Disk(int index) => s_disks[index];

    /// <summary>The first ATA disk found; null when there is none.</summary>
    public static AtaDisk FirstDisk => s_diskCount == 0 ? null : s_disks[0];

    /// <summary>
    /// Finds the controller on PCI, takes its ports and enables bus mastering, claims its interrupts and
    /// identifies all four positions. Done once; later calls return the first answer: Ok when an ATA
    /// disk was found.
    /// </summary>
    public static IdeStatus Probe()
    {
        if (!s_probed)
        {
            s_probed = true;
            s_probeStatus = FindController();
            if (s_probeStatus == IdeStatus.Ok)
            {
                s_probeStatus = FindDisks();
            }
        }
        return s_probeStatus;
    }

    private static IdeStatus FindController()
    {
        int index = Pci.Find(MassStorageClass, IdeSubclass);
        if (index < 0)
        {
            return IdeStatus.NoController;
        }
        s_pci = Pci.Get(index);
        uint bar4 = s_pci.ReadBar(BusMasterBar);
        if ((s_pci.ProgrammingInterface & ProgIfBusMaster) == 0 || (bar4 & PciDevice.BarIoSpace) == 0 || (bar4 & PciDevice.BarIoMask) == 0)
        {
            return IdeStatus.NoBusMaster;
        }
        ushort busMaster = (ushort)(bar4 & PciDevice.BarIoMask);
        ushort command = s_pci.ReadWord(PciDevice.CommandOffset);
        s_pci.WriteWord(PciDevice.CommandOffset, (ushort)(command | PciDevice.CommandIoSpace | PciDevice.CommandBusMaster));

        s_channels = new IdeChannel[ChannelCount];
        s_channels[0] = MakeChannel(PrimaryName, ProgIfPrimaryNative, 0, PrimaryCommandBase, PrimaryControlBase, PrimaryIrq, busMaster);
        s_channels[1] = MakeChannel(SecondaryName, ProgIfSecondaryNative, 2, SecondaryCommandBase, SecondaryControlBase, SecondaryIrq,
            (ushort)(busMaster + SecondaryBusMasterOffset));
        // A native-mode controller has one interrupt line for both channels: claim it once and let its
        // handler ask both.
        s_channels[0].IrqClaimed = Interrupts.Register(s_channels[0].Irq, &OnPrimaryLine);
        s_channels[1].IrqClaimed = s_channels[1].Irq == s_channels[0].Irq
            ? s_channels[0].IrqClaimed
            : Interrupts.Register(s_channels[1].Irq, &OnSecondaryLine);
        return IdeStatus.Ok;
    }

    private static IdeChannel MakeChannel(string name, byte nativeBit, int firstBar, ushort legacyCommand, ushort legacyControl, int legacyIrq, ushort busMaster)
    {
        if ((s_pci.ProgrammingInterface & nativeBit) == 0)
        {
            return new IdeChannel(name, legacyCommand, legacyControl, busMaster, legacyIrq, native: false);
        }
        ushort command = (ushort)(s_pci.ReadBar(firstBar) & PciDevice.BarIoMask);
        ushort control = (ushort)((s_pci.ReadBar(firstBar + 1) & PciDevice.BarIoMask) + NativeControlOffset);
        return new IdeChannel(name, command, control, busMaster, s_pci.ReadByte(PciDevice.InterruptLineOffset), native: true);
    }

    private static IdeStatus FindDisks()
    {
        s_disks = new AtaDisk[ChannelCount * IdeChannel.Positions];
        for (int c = 0; c < ChannelCount; c++)
        {
            IdeChannel channel = s_channels[c];
            channel.Probe();
            for (int position = 0; position < IdeChannel.Positions; position++)
            {
                if (channel.PositionStatus(position) == IdeStatus.Ok)
                {
                    s_disks[s_diskCount++] = new AtaDisk(channel, position);
                }
            }
        }
        return s_diskCount == 0 ? IdeStatus.NoDisk : IdeStatus.Ok;
    }

    private static void OnPrimaryLine() => OnLine(s_channels[0].Irq);

    private static void OnSecondaryLine() => OnLine(s_channels[1].Irq);

    /// <summary>Every channel on the line looks at its own bus-master interrupt bit.</summary>
    private static void OnLine(int irq)
    {
        for (int c = 0; c < ChannelCount; c++)
        {
            if (s_channels[c].Irq == irq)
            {
                s_channels[c].OnInterrupt();
            }
        }
    }
}
