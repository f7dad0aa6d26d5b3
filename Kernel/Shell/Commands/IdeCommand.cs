using Kernel.Arch;
using Kernel.Drivers;
using Kernel.Memory;

namespace Kernel.Shell.Commands;

/// <summary>
/// The IDE controller's channels and disks, and the first ATA disk read by bus-master DMA into its
/// channel's transfer buffer and PRD table (below 4 GiB), which the driver takes at the channel's first
/// transfer and keeps: a run of requests allocates nothing.
/// </summary>
internal sealed unsafe class IdeCommand : ShellCommand
{
    private const int DumpBytes = 64;
    private const ulong MiB = 1024 * 1024;
    private const ulong MaxBenchMiB = 1024;
    private const ulong Dma32End = 4UL * 1024 * 1024 * 1024;

    public override string Name => "ide";

    public override string Arguments => "info | read LBA [COUNT] | bench MIB [SECTORS] | reset";

    public override string Summary => "IDE disk by bus-master DMA: info, dump, timed run, channel reset";

    public override void Execute(CommandLine line)
    {
        if (line.Count == 2 && line.WordIs(1, "info"))
        {
            Info();
            return;
        }
        if (line.Count == 2 && line.WordIs(1, "reset"))
        {
            AtaDisk disk = Ready();
            if (disk != null)
            {
                Reset(disk);
            }
            return;
        }
        ulong first;
        ulong second = 0;
        bool hasSecond = line.Count == 4;
        if (line.Count < 3 || line.Count > 4 || !line.TryParseNumber(2, out first) || hasSecond && !line.TryParseNumber(3, out second))
        {
            PrintUsage();
            return;
        }
        if (line.WordIs(1, "read"))
        {
            ulong count = hasSecond ? second : 1;
            if (count == 0 || count > IdeController.MaxSectorsPerCommand)
            {
                Console.Write("ide: COUNT must be 1 to ");
                Console.WriteDecimal((ulong)IdeController.MaxSectorsPerCommand);
                Console.WriteLine(" sectors");
                return;
            }
            AtaDisk disk = Ready();
            if (disk != null)
            {
                Read(disk, first, (uint)count);
            }
        }
        else if (line.WordIs(1, "bench"))
        {
            ulong sectors = hasSecond ? second : IdeController.MaxSectorsPerCommand;
            if (first == 0 || first > MaxBenchMiB || sectors == 0 || sectors > IdeController.MaxSectorsPerCommand)
            {
                Console.Write("ide: MIB must be 1 to ");
                Console.WriteDecimal(MaxBenchMiB);
                Console.Write(", SECTORS 1 to ");
                Console.WriteDecimal((ulong)IdeController.MaxSectorsPerCommand);
                Console.WriteLine();
                return;
            }
            AtaDisk disk = Ready();
            if (disk != null)
            {
                Bench(disk, first, (uint)sectors);
            }
        }
        else
        {
            PrintUsage();
        }
    }

    /// <summary>The first ATA disk, probing the controller if need be; null (and the reason printed) when there is none.</summary>
    private static AtaDisk Ready()
    {
        IdeStatus status = IdeController.Probe();
        if (status == IdeStatus.Ok)
        {
            return IdeController.FirstDisk;
        }
        Console.Write("ide: ");
        Console.WriteLine(StatusName(status));
        return null;
    }

    private static void Info()
    {
        IdeStatus status = IdeController.Probe();
        if (IdeController.Channel(0) == null)
        {
            Console.Write("ide: ");
            Console.WriteLine(StatusName(status));
            return;
        }
        PciDevice pci = IdeController.PciFunction;
        Console.Write("controller ");
        Console.WriteHexDigits(pci.VendorId, 4);
        Console.Write(':');
        Console.WriteHexDigits(pci.DeviceId, 4);
        Console.Write(" at ");
        Console.WriteHexDigits(pci.Bus, 2);
        Console.Write(':');
        Console.WriteHexDigits(pci.Device, 2);
        Console.Write('.');
        Console.WriteHexDigits(pci.Function, 1);
        Console.Write(", prog-if ");
        Console.WriteHex(pci.ProgrammingInterface, 2);
        Console.WriteLine();
        for (int c = 0; c < IdeController.ChannelCount; c++)
        {
            ChannelInfo(IdeController.Channel(c));
        }
        Console.Write("ATA disks: ");
        Console.WriteDecimal((ulong)IdeController.DiskCount);
        AtaDisk first = IdeController.FirstDisk;
        if (first != null)
        {
            Console.Write("; ide read, bench and reset use the first, ");
            Console.Write(first.PositionName);
        }
        Console.WriteLine();
    }

    private static void ChannelInfo(IdeChannel channel)
    {
        Console.Write(channel.Name);
        Console.Write(channel.NativeMode ? " channel (native): command " : " channel (compatibility): command ");
        Console.WriteHex(channel.CommandBase, 4);
        Console.Write(", control ");
        Console.WriteHex(channel.ControlBase, 4);
        Console.Write(", bus master ");
        Console.WriteHex(channel.BusMasterBase, 4);
        Console.Write(", IRQ ");
        Console.WriteDecimal((ulong)channel.Irq);
        Console.WriteLine(channel.IrqClaimed ? "" : " (not claimed: polling)");
        Console.Write("  commands ");
        Console.WriteDecimal(channel.Commands);
        Console.Write(", polled completions ");
        Console.WriteDecimal(channel.PolledCompletions);
        Console.Write(", foreign interrupts ");
        Console.WriteDecimal(channel.ForeignInterrupts);
        Console.Write(", stray ");
        Console.WriteDecimal(channel.StrayInterrupts);
        Console.Write(", resets ");
        Console.WriteDecimal(channel.Resets);
        Console.Write(", waited for the channel ");
        Console.WriteDecimal(channel.ContendedCommands);
        Console.WriteLine();
        BusMasterTransfer transfer = channel.Transfer;
        if (transfer.IsAllocated)
        {
            Console.Write("  transfer buffer ");
            Console.WriteHex(transfer.Buffer.Physical);
            Console.Write(" (");
            Console.WriteDecimal(transfer.Buffer.Size / 1024);
            Console.Write(" KiB), PRD table ");
            Console.WriteHex(transfer.TablePhysical);
            Console.WriteLine();
        }
        else
        {
            Console.WriteLine("  transfer buffer: taken at the first transfer");
        }
        for (int position = 0; position < IdeChannel.Positions; position++)
        {
            Console.Write("  ");
            Console.Write(AtaDisk.PositionNameOf(channel, position));
            Console.Write(": ");
            IdeStatus status = channel.PositionStatus(position);
            if (status != IdeStatus.Ok)
            {
                Console.WriteLine(PositionStatusName(status));
                continue;
            }
            AtaIdentity disk = channel.Identity(position);
            Console.Write('"');
            for (int i = 0; i < disk.ModelTextLength; i++)
            {
                Console.Write((char)disk.Model[i]);
            }
            Console.Write("\", ");
            Console.WriteDecimal(disk.Sectors);
            Console.Write(" sectors (");
            Console.WriteDecimal(disk.Sectors * IdeController.SectorSize / MiB);
            Console.Write(" MiB), LBA48 ");
            Console.Write(disk.SupportsLba48 ? "yes" : "no");
            Console.Write(", MWDMA ");
            Console.WriteHex(disk.MultiwordDma, 4);
            Console.Write(", UDMA ");
            Console.WriteHex(disk.UltraDma, 4);
            Console.WriteLine();
        }
    }

    private static string PositionStatusName(IdeStatus status)
    {
        switch (status)
        {
            case IdeStatus.NoDevice: return "none";
            case IdeStatus.NotAta: return "not an ATA disk (ATAPI or SATA signature)";
            case IdeStatus.DeviceError: return "no ATA disk (IDENTIFY aborted)";
            default: return StatusName(status);
        }
    }

    private static void Reset(AtaDisk disk)
    {
        IdeStatus status = disk.Channel.Reset();
        Console.Write("ide: ");
        Console.Write(disk.Channel.Name);
        Console.Write(" channel reset: ");
        Console.WriteLine(StatusName(status));
    }

    private static void Read(AtaDisk disk, ulong lba, uint count)
    {
        IdeStatus ready = disk.Channel.AllocateTransfer();
        if (ready != IdeStatus.Ok)
        {
            Console.Write("ide: ");
            Console.WriteLine(StatusName(ready));
            return;
        }
        BusMasterTransfer transfer = disk.Channel.Transfer;
        DmaBuffer buffer = transfer.Buffer;
        // Junk first, so bytes the transfer never reached show as 0xa5 rather than an earlier read's data.
        System.Runtime.RuntimeExports.memset(buffer.Virtual, 0xA5, (nuint)buffer.Size);
        IdeStatus status = disk.ReadDma(lba, count);
        Console.Write("read LBA ");
        Console.WriteDecimal(lba);
        Console.Write(", ");
        Console.WriteDecimal((ulong)count);
        Console.Write(count == 1 ? " sector" : " sectors");
        Console.Write(lba + count > 1UL << 28 ? " (READ DMA EXT): PRD table " : " (READ DMA): PRD table ");
        Console.WriteHex(transfer.TablePhysical);
        Console.Write(", ");
        Console.WriteDecimal((ulong)transfer.RegionCount);
        Console.WriteLine(transfer.RegionCount == 1 ? " region" : " regions");
        for (int i = 0; i < transfer.RegionCount; i++)
        {
            Console.Write("  region ");
            Console.WriteDecimal((ulong)i);
            Console.Write(": ");
            Console.WriteHex(transfer.RegionPhysical(i));
            Console.Write(" ");
            Console.WriteDecimal(transfer.RegionBytes(i));
            Console.WriteLine(" B");
        }
        if (status == IdeStatus.Ok)
        {
            ulong bytes = transfer.Bytes;
            HexDump.Write(buffer.Virtual, bytes < DumpBytes ? (int)bytes : DumpBytes);
            Console.Write("fnv1a ");
            Console.WriteHex(Fnv1a.Append(Fnv1a.OffsetBasis, buffer.Virtual, bytes), 8);
            Console.WriteLine();
        }
        else
        {
            WriteFailure(disk.Channel, status);
        }
    }

    /// <summary>
    /// Reads <paramref name="mib"/> MiB from LBA 0 on in requests of <paramref name="sectors"/>
    /// sectors into the controller's buffer; prints the rate (TSC, calibrated against the PIT), the
    /// address range of the buffer and table the requests used and an FNV-1a of the data in disk order.
    /// </summary>
    private static void Bench(AtaDisk disk, ulong mib, uint sectors)
    {
        ulong total = mib * MiB / IdeController.SectorSize;
        if (total > disk.Sectors)
        {
            Console.Write("ide: the disk holds only ");
            Console.WriteDecimal(disk.Sectors * IdeController.SectorSize / MiB);
            Console.WriteLine(" MiB");
            return;
        }
        IdeStatus ready = disk.Channel.AllocateTransfer();
        if (ready != IdeStatus.Ok)
        {
            Console.Write("ide: ");
            Console.WriteLine(StatusName(ready));
            return;
        }
        BusMasterTransfer transfer = disk.Channel.Transfer;
        uint hash = Fnv1a.OffsetBasis;
        ulong lowest = ulong.MaxValue;
        ulong highest = 0;
        ulong violations = 0;
        ulong requests = 0;
        ulong switches = Tasks.Scheduler.Switches;
        ulong start = Cpu.ReadTsc();
        for (ulong lba = 0; lba < total; lba += sectors)
        {
            uint count = total - lba < sectors ? (uint)(total - lba) : sectors;
            IdeStatus status = disk.ReadDma(lba, count);
            if (status != IdeStatus.Ok)
            {
                Console.Write("ide: LBA ");
                Console.WriteDecimal(lba);
                Console.Write(": ");
                WriteFailure(disk.Channel, status);
                return;
            }
            Track(transfer.TablePhysical, BusMasterTransfer.TableBytes, ref lowest, ref highest, ref violations);
            for (int i = 0; i < transfer.RegionCount; i++)
            {
                Track(transfer.RegionPhysical(i), transfer.RegionBytes(i), ref lowest, ref highest, ref violations);
            }
            hash = Fnv1a.Append(hash, transfer.Buffer.Virtual, transfer.Bytes);
            requests++;
        }
        ulong cycles = Cpu.ReadTsc() - start;
        switches = Tasks.Scheduler.Switches - switches;
        ulong perMs = Pit.TscPerMillisecond == 0 ? 1 : Pit.TscPerMillisecond;
        ulong microseconds = cycles * 1000 / perMs;
        ulong hundredths = microseconds == 0 ? 0 : mib * 100000000 / microseconds;
        Console.Write("ide bench: ");
        Console.WriteDecimal(mib);
        Console.Write(" MiB in ");
        Console.WriteDecimal(requests);
        Console.Write(" requests of ");
        Console.WriteDecimal((ulong)sectors);
        Console.Write(" sectors, ");
        Console.WriteDecimal(microseconds / 1000);
        Console.Write(" ms, ");
        Console.WriteDecimal(hundredths / 100);
        Console.Write('.');
        Console.WriteDecimal(hundredths % 100 / 10);
        Console.WriteDecimal(hundredths % 10);
        Console.Write(" MiB/s, fnv1a ");
        Console.WriteHex(hash, 8);
        Console.WriteLine();
        Console.Write("dma memory: ");
        Console.WriteHex(lowest);
        Console.Write("-");
        Console.WriteHex(highest);
        Console.Write(", ");
        Console.WriteDecimal(violations);
        Console.Write(" above 4 GiB or across 64 KiB; interrupts ");
        Console.WriteDecimal(Interrupts.CountOf(disk.Channel.Irq));
        Console.Write(", polled completions ");
        Console.WriteDecimal(disk.Channel.PolledCompletions);
        Console.Write(", context switches ");
        Console.WriteDecimal(switches);
        Console.WriteLine(" while waiting for the disk");
    }

    private static void Track(ulong physical, ulong size, ref ulong lowest, ref ulong highest, ref ulong violations)
    {
        ulong end = physical + size;
        if (end > Dma32End || physical / PrdEntry.MaxRegionBytes != (end - 1) / PrdEntry.MaxRegionBytes)
        {
            violations++;
        }
        lowest = physical < lowest ? physical : lowest;
        highest = end > highest ? end : highest;
    }

    private static void WriteFailure(IdeChannel channel, IdeStatus status)
    {
        Console.Write("ide: read failed: ");
        Console.Write(StatusName(status));
        if (!channel.LastCommandReset)
        {
            // Refused before anything reached the device: its registers say nothing about it.
            Console.WriteLine();
            return;
        }
        Console.Write(" (device status ");
        Console.WriteHex(channel.LastDeviceStatus, 2);
        Console.Write(", error ");
        Console.WriteHex(channel.LastError, 2);
        Console.Write(", bus-master status ");
        Console.WriteHex(channel.LastBusMasterStatus, 2);
        Console.WriteLine(")");
        Console.Write("ide: channel reset after the failure: ");
        Console.WriteLine(StatusName(channel.LastResetStatus));
    }

    public static string StatusName(IdeStatus status)
    {
        switch (status)
        {
            case IdeStatus.Ok: return "ok";
            case IdeStatus.NoController: return "no PCI IDE controller (class 01h subclass 01h)";
            case IdeStatus.NoBusMaster: return "the IDE controller has no bus master (prog-if bit 7 / BAR4)";
            case IdeStatus.NoDevice: return "no device at that position";
            case IdeStatus.NotAta: return "the device is not an ATA disk";
            case IdeStatus.NoDisk: return "no ATA disk on either channel";
            case IdeStatus.Unsupported: return "the disk does not support LBA and DMA";
            case IdeStatus.DeviceTimeout: return "the device stayed busy";
            case IdeStatus.InterruptTimeout: return "no completion interrupt in time";
            case IdeStatus.PrdTableExhausted: return "the bus master ran out of PRD entries before the device finished";
            case IdeStatus.DeviceError: return "the device reported an error";
            case IdeStatus.DeviceNotDone: return "the device interrupted while still busy or requesting data";
            case IdeStatus.BusMasterError: return "the bus master reported an error (PCI abort)";
            case IdeStatus.TransferIncomplete: return "the device ended the command before the PRD table was used up";
            case IdeStatus.NoDmaMemory: return "no DMA memory below 4 GiB for the transfer buffer and PRD table";
            case IdeStatus.OutOfRange: return "sectors beyond the end of the disk";
            default: return "bad request";
        }
    }
}
