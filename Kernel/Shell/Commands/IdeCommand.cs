using Kernel.Arch;
using Kernel.Drivers;
using Kernel.Memory;

namespace Kernel.Shell.Commands
{
    /// <summary>
    /// Reads the primary master ATA disk by bus-master DMA. Each request takes its PRD table and regions
    /// from the DMA allocator (below 4 GiB) and gives them back when done, so a run of requests exercises
    /// the allocator as much as the disk.
    /// </summary>
    internal sealed unsafe class IdeCommand : ShellCommand
    {
        private const int DumpBytes = 64;
        private const ulong MiB = 1024 * 1024;
        private const ulong MaxBenchMiB = 1024;
        private const ulong Dma32End = 4UL * 1024 * 1024 * 1024;

        private readonly BusMasterTransfer _transfer = new BusMasterTransfer();

        public override string Name => "ide";

        public override string Arguments => "info | read LBA [COUNT] | bench MIB [SECTORS]";

        public override string Summary => "IDE disk by bus-master DMA: info, dump, timed run";

        public override void Execute(CommandLine line)
        {
            if (line.Count == 2 && line.WordIs(1, "info"))
            {
                if (Ready())
                {
                    Info();
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
                if (Ready())
                {
                    Read(first, (uint)count);
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
                if (Ready())
                {
                    Bench(first, (uint)sectors);
                }
            }
            else
            {
                PrintUsage();
            }
        }

        private static bool Ready()
        {
            IdeStatus status = IdeController.Probe();
            if (status == IdeStatus.Ok)
            {
                return true;
            }
            Console.Write("ide: ");
            Console.WriteLine(StatusName(status));
            return false;
        }

        private static void Info()
        {
            PciDevice pci = IdeController.PciFunction;
            Console.Write("controller ");
            HexDump.WriteHexDigits(pci.VendorId, 4);
            Console.Write(':');
            HexDump.WriteHexDigits(pci.DeviceId, 4);
            Console.Write(" at ");
            HexDump.WriteHexDigits(pci.Bus, 2);
            Console.Write(':');
            HexDump.WriteHexDigits(pci.Device, 2);
            Console.Write('.');
            HexDump.WriteHexDigits(pci.Function, 1);
            Console.Write(", prog-if ");
            Console.WriteHex(pci.ProgrammingInterface, 2);
            Console.WriteLine(IdeController.NativeMode ? " (primary channel native)" : " (primary channel compatibility)");
            Console.Write("  command ");
            Console.WriteHex(IdeController.CommandBase, 4);
            Console.Write(", control ");
            Console.WriteHex(IdeController.ControlBase, 4);
            Console.Write(", bus master ");
            Console.WriteHex(IdeController.BusMasterBase, 4);
            Console.Write(", IRQ ");
            Console.WriteDecimal((ulong)IdeController.Irq);
            Console.WriteLine(IdeController.IrqClaimed ? "" : " (not claimed: polling)");
            AtaIdentity disk = IdeController.Disk;
            Console.Write("primary master: \"");
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

        private void Read(ulong lba, uint count)
        {
            ulong bytes = (ulong)count * IdeController.SectorSize;
            if (!_transfer.Allocate(bytes))
            {
                Console.WriteLine("ide: no DMA memory below 4 GiB for the PRD table and regions");
                return;
            }
            for (int i = 0; i < _transfer.RegionCount; i++)
            {
                DmaBuffer region = _transfer.Region(i);
                // Junk first, so a region the transfer never reached shows as 0xa5 rather than stale data.
                System.Runtime.RuntimeExports.memset(region.Virtual, 0xA5, (nuint)region.Size);
            }
            IdeStatus status = IdeController.ReadDma(lba, count, _transfer);
            Console.Write("read LBA ");
            Console.WriteDecimal(lba);
            Console.Write(", ");
            Console.WriteDecimal((ulong)count);
            Console.Write(count == 1 ? " sector" : " sectors");
            Console.Write(lba + count > 1UL << 28 ? " (READ DMA EXT): PRD table " : " (READ DMA): PRD table ");
            Console.WriteHex(_transfer.TablePhysical);
            Console.Write(", ");
            Console.WriteDecimal((ulong)_transfer.RegionCount);
            Console.WriteLine(_transfer.RegionCount == 1 ? " region" : " regions");
            for (int i = 0; i < _transfer.RegionCount; i++)
            {
                DmaBuffer region = _transfer.Region(i);
                Console.Write("  region ");
                Console.WriteDecimal((ulong)i);
                Console.Write(": ");
                Console.WriteHex(region.Physical);
                Console.Write(" ");
                Console.WriteDecimal(region.Size);
                Console.WriteLine(" B");
            }
            if (status == IdeStatus.Ok)
            {
                HexDump.Write(_transfer.Region(0).Virtual, bytes < DumpBytes ? (int)bytes : DumpBytes);
                Console.Write("fnv1a ");
                Console.WriteHex(Hash(_transfer, Fnv1a.OffsetBasis), 8);
                Console.WriteLine();
            }
            else
            {
                WriteFailure(status);
            }
            _transfer.Free();
        }

        /// <summary>
        /// Reads <paramref name="mib"/> MiB from LBA 0 on in requests of <paramref name="sectors"/>
        /// sectors, each with fresh DMA memory; prints the rate (TSC, calibrated against the PIT), the
        /// address range of everything the requests used and an FNV-1a of the data in disk order.
        /// </summary>
        private void Bench(ulong mib, uint sectors)
        {
            ulong total = mib * MiB / IdeController.SectorSize;
            if (total > IdeController.Disk.Sectors)
            {
                Console.Write("ide: the disk holds only ");
                Console.WriteDecimal(IdeController.Disk.Sectors * IdeController.SectorSize / MiB);
                Console.WriteLine(" MiB");
                return;
            }
            uint hash = Fnv1a.OffsetBasis;
            ulong lowest = ulong.MaxValue;
            ulong highest = 0;
            ulong violations = 0;
            ulong requests = 0;
            ulong start = Cpu.ReadTsc();
            for (ulong lba = 0; lba < total; lba += sectors)
            {
                uint count = total - lba < sectors ? (uint)(total - lba) : sectors;
                if (!_transfer.Allocate((ulong)count * IdeController.SectorSize))
                {
                    Console.WriteLine("ide: no DMA memory below 4 GiB for the PRD table and regions");
                    return;
                }
                Track(_transfer.TablePhysical, (ulong)(BusMasterTransfer.MaxRegions * sizeof(PrdEntry)), ref lowest, ref highest, ref violations);
                for (int i = 0; i < _transfer.RegionCount; i++)
                {
                    Track(_transfer.Region(i).Physical, _transfer.Region(i).Size, ref lowest, ref highest, ref violations);
                }
                IdeStatus status = IdeController.ReadDma(lba, count, _transfer);
                if (status != IdeStatus.Ok)
                {
                    Console.Write("ide: LBA ");
                    Console.WriteDecimal(lba);
                    Console.Write(": ");
                    WriteFailure(status);
                    _transfer.Free();
                    return;
                }
                hash = Hash(_transfer, hash);
                _transfer.Free();
                requests++;
            }
            ulong cycles = Cpu.ReadTsc() - start;
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
            Console.WriteDecimal(Interrupts.CountOf(IdeController.Irq));
            Console.Write(", polled completions ");
            Console.WriteDecimal(IdeController.PolledCompletions);
            Console.WriteLine();
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

        private static uint Hash(BusMasterTransfer transfer, uint hash)
        {
            for (int i = 0; i < transfer.RegionCount; i++)
            {
                hash = Fnv1a.Append(hash, transfer.Region(i).Virtual, transfer.Region(i).Size);
            }
            return hash;
        }

        private static void WriteFailure(IdeStatus status)
        {
            Console.Write("ide: read failed: ");
            Console.Write(StatusName(status));
            Console.Write(" (device status ");
            Console.WriteHex(IdeController.LastDeviceStatus, 2);
            Console.Write(", error ");
            Console.WriteHex(IdeController.LastError, 2);
            Console.Write(", bus-master status ");
            Console.WriteHex(IdeController.LastBusMasterStatus, 2);
            Console.WriteLine(")");
        }

        private static string StatusName(IdeStatus status)
        {
            switch (status)
            {
                case IdeStatus.Ok: return "ok";
                case IdeStatus.NoController: return "no PCI IDE controller (class 01h subclass 01h)";
                case IdeStatus.NoBusMaster: return "the IDE controller has no bus master (prog-if bit 7 / BAR4)";
                case IdeStatus.NoDevice: return "no device as primary master";
                case IdeStatus.NotAta: return "the primary master is not an ATA disk";
                case IdeStatus.Unsupported: return "the disk does not support LBA and DMA";
                case IdeStatus.DeviceTimeout: return "the device stayed busy";
                case IdeStatus.InterruptTimeout: return "no completion interrupt in time";
                case IdeStatus.DeviceError: return "the device reported an error";
                case IdeStatus.BusMasterError: return "the bus master reported an error";
                case IdeStatus.OutOfRange: return "sectors beyond the end of the disk";
                default: return "bad request";
            }
        }
    }
}
