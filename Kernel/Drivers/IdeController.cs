using Kernel.Arch;

namespace Kernel.Drivers
{
    /// <summary>
    /// The primary channel of the first PCI IDE controller (class 01h, subclass 01h) and the ATA disk
    /// attached as its master, read by bus-master DMA. Facts cited are from SFF-8038i rev. 1.0
    /// ("Bus Master Programming Interface for IDE ATA Controllers") and ATA/ATAPI-6 (T13/1410D).
    /// The controller's timing registers are left as the firmware set them, as is the disk's DMA mode.
    /// </summary>
    internal static unsafe class IdeController
    {
        public const uint SectorSize = 512;

        /// <summary>READ DMA's sector count register is 8 bits, 0 meaning 256 (ATA-6, "READ DMA").</summary>
        public const uint MaxSectorsPerCommand = 256;

        private const byte MassStorageClass = 0x01;
        private const byte IdeSubclass = 0x01;

        // Programming interface (PCI IDE Controller Specification rev. 1.0, "Programming Interface Byte"):
        // bit 0 the primary channel runs in native-PCI mode (else compatibility), bit 7 a bus master exists.
        private const byte ProgIfPrimaryNative = 0x01;
        private const byte ProgIfBusMaster = 0x80;

        // Compatibility mode: the legacy ISA ports and IRQ of the primary channel.
        private const ushort LegacyCommandBase = 0x1F0;
        private const ushort LegacyControlBase = 0x3F6;
        private const int LegacyIrq = 14;
        // In native mode BAR1 points at a 4-byte block whose byte 2 is the control register.
        private const ushort NativeControlOffset = 2;
        private const int BusMasterBar = 4;

        // Command block registers, as offsets from the command base.
        private const ushort RegData = 0;
        private const ushort RegError = 1;
        private const ushort RegSectorCount = 2;
        private const ushort RegLbaLow = 3;
        private const ushort RegLbaMid = 4;
        private const ushort RegLbaHigh = 5;
        private const ushort RegDevice = 6;
        private const ushort RegStatus = 7;
        private const ushort RegCommand = 7;

        // Status register: BSY, DRDY, DF (device fault), DRQ, ERR.
        private const byte StatusBusy = 0x80;
        private const byte StatusReady = 0x40;
        private const byte StatusFault = 0x20;
        private const byte StatusDataRequest = 0x08;
        private const byte StatusError = 0x01;

        // Device control register: bit 1 nIEN (1 masks the device's INTRQ), bit 2 SRST (software reset of
        // both devices on the channel while set).
        private const byte ControlInterruptsOff = 0x02;
        private const byte ControlInterruptsOn = 0x00;
        private const byte ControlSoftwareReset = 0x04;

        // Device register: bit 6 LBA; bits 7 and 5 are obsolete and set by convention; bit 4 0 = master.
        private const byte DeviceMaster = 0xA0;
        private const byte DeviceLba = 0x40;

        private const byte CommandIdentify = 0xEC;
        private const byte CommandReadDma = 0xC8;
        private const byte CommandReadDmaExt = 0x25;
        private const ulong Lba28Limit = 1UL << 28;

        // Bus-master registers (SFF-8038i, "Bus Master IDE Register Description"): command at +0, status at +2, table pointer at +4.
        private const ushort BmCommand = 0;
        private const ushort BmStatus = 2;
        private const ushort BmTablePointer = 4;
        // Command: bit 0 start/stop, bit 3 direction (1: the bus master writes memory, i.e. a disk read).
        private const byte BmStart = 0x01;
        private const byte BmWriteToMemory = 0x08;
        // Status: bit 0 active, bit 1 error, bit 2 interrupt (both write-1-to-clear), bits 6-5 drive 1/0
        // DMA capable (kept as the firmware set them).
        private const byte BmActive = 0x01;
        private const byte BmError = 0x02;
        private const byte BmInterrupt = 0x04;
        private const byte BmDmaCapable = 0x60;

        private const ulong BusyTimeoutMs = 2000;
        private const ulong TransferTimeoutMs = 5000;
        // Software reset protocol (ATA-6, "Software reset protocol"): SRST held at least 5 us, then at least
        // 2 ms before the status is looked at, and a device may keep BSY set for up to 31 s after a reset.
        // The PIT's 1 ms tick is the finest delay at hand, so the hold is a tick.
        private const ulong ResetHoldMs = 1;
        private const ulong ResetSettleMs = 2;
        private const ulong ResetTimeoutMs = 31000;
        private const int IdentifyWords = 256;

        private static bool s_probed;
        private static IdeStatus s_probeStatus;
        private static PciDevice s_pci;
        private static bool s_native;
        private static ushort s_command;
        private static ushort s_control;
        private static ushort s_busMaster;
        private static int s_irq;
        private static bool s_irqClaimed;
        private static IrqSignal s_signal;
        private static AtaIdentity s_identity;
        private static ushort* s_identifyWords;
        private static BusMasterTransfer s_transfer;
        // A command is outstanding: set before the command is written, cleared by FinishTransfer, which the
        // interrupt handler or the polling request path runs once, with interrupts off.
        private static volatile bool s_inFlight;
        private static byte s_finishedBusMasterStatus;
        private static byte s_finishedDeviceStatus;
        private static byte s_lastBusMasterStatus;
        private static byte s_lastDeviceStatus;
        private static byte s_lastError;
        private static IdeStatus s_lastResetStatus;
        private static bool s_lastCommandReset;
        private static ulong s_commands;
        private static ulong s_polledCompletions;
        private static ulong s_foreignInterrupts;
        private static ulong s_strayInterrupts;
        private static ulong s_resets;

        public static PciDevice PciFunction => s_pci;

        public static bool NativeMode => s_native;

        public static ushort CommandBase => s_command;

        public static ushort ControlBase => s_control;

        public static ushort BusMasterBase => s_busMaster;

        public static int Irq => s_irq;

        /// <summary>False when IRQ 14 (or the native line) could not be claimed: completion is then polled.</summary>
        public static bool IrqClaimed => s_irqClaimed;

        public static AtaIdentity Disk => s_identity;

        public static byte LastBusMasterStatus => s_lastBusMasterStatus;

        public static byte LastDeviceStatus => s_lastDeviceStatus;

        public static byte LastError => s_lastError;

        public static ulong Commands => s_commands;

        /// <summary>Transfers whose end was seen in the bus-master status because no interrupt came.</summary>
        public static ulong PolledCompletions => s_polledCompletions;

        /// <summary>Interrupts on the channel's line without the bus-master interrupt bit: another device's, or spurious.</summary>
        public static ulong ForeignInterrupts => s_foreignInterrupts;

        /// <summary>Interrupts of the device while no command was outstanding (acknowledged and dropped).</summary>
        public static ulong StrayInterrupts => s_strayInterrupts;

        /// <summary>Software resets of the channel after a failed or timed-out command, or asked for.</summary>
        public static ulong Resets => s_resets;

        /// <summary>What the last software reset's re-identification answered (Ok when none happened).</summary>
        public static IdeStatus LastResetStatus => s_lastResetStatus;

        /// <summary>The last <see cref="ReadDma"/> failed at the device or bus master and reset the channel.</summary>
        public static bool LastCommandReset => s_lastCommandReset;

        /// <summary>
        /// The controller's transfer buffer and PRD table, kept for its lifetime; allocated by the first
        /// <see cref="ReadDma"/> or <see cref="AllocateTransfer"/>, null before the probe.
        /// </summary>
        public static BusMasterTransfer Transfer => s_transfer;

        /// <summary>
        /// Finds the controller on PCI, takes its ports and enables bus mastering, claims its interrupt and
        /// identifies the primary master. Done once; later calls return the first answer.
        /// </summary>
        public static IdeStatus Probe()
        {
            if (!s_probed)
            {
                s_probed = true;
                s_probeStatus = FindController();
                if (s_probeStatus == IdeStatus.Ok)
                {
                    s_probeStatus = Identify();
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
            s_native = (s_pci.ProgrammingInterface & ProgIfPrimaryNative) != 0;
            if (s_native)
            {
                s_command = (ushort)(s_pci.ReadBar(0) & PciDevice.BarIoMask);
                s_control = (ushort)((s_pci.ReadBar(1) & PciDevice.BarIoMask) + NativeControlOffset);
                s_irq = s_pci.ReadByte(PciDevice.InterruptLineOffset);
            }
            else
            {
                s_command = LegacyCommandBase;
                s_control = LegacyControlBase;
                s_irq = LegacyIrq;
            }
            uint bar4 = s_pci.ReadBar(BusMasterBar);
            if ((s_pci.ProgrammingInterface & ProgIfBusMaster) == 0 || (bar4 & PciDevice.BarIoSpace) == 0 || (bar4 & PciDevice.BarIoMask) == 0)
            {
                return IdeStatus.NoBusMaster;
            }
            // The primary channel's eight bus-master registers come first in the 16-byte BAR4 range.
            s_busMaster = (ushort)(bar4 & PciDevice.BarIoMask);
            ushort command = s_pci.ReadWord(PciDevice.CommandOffset);
            s_pci.WriteWord(PciDevice.CommandOffset, (ushort)(command | PciDevice.CommandIoSpace | PciDevice.CommandBusMaster));

            s_signal = new IrqSignal();
            s_identity = new AtaIdentity();
            s_transfer = new BusMasterTransfer();
            s_identifyWords = (ushort*)Memory.MemoryManager.Heap.Allocate(IdentifyWords * sizeof(ushort));
            s_irqClaimed = Interrupts.Register(s_irq, &OnInterrupt);
            return IdeStatus.Ok;
        }

        /// <summary>
        /// IDENTIFY DEVICE (ATA-6) by PIO with the device's interrupt masked (nIEN), polling
        /// BSY and DRQ. Status 00h or FFh means no device; an ATAPI or SATA signature means no ATA disk.
        /// </summary>
        private static IdeStatus Identify()
        {
            Cpu.OutByte(s_control, ControlInterruptsOff);
            Cpu.OutByte((ushort)(s_command + RegDevice), DeviceMaster);
            SelectDelay();
            byte status = Cpu.InByte((ushort)(s_command + RegStatus));
            if (status == 0x00 || status == 0xFF)
            {
                return IdeStatus.NoDevice;
            }
            if (!WaitNotBusy(BusyTimeoutMs, out status))
            {
                return IdeStatus.DeviceTimeout;
            }
            Cpu.OutByte((ushort)(s_command + RegSectorCount), 0);
            Cpu.OutByte((ushort)(s_command + RegLbaLow), 0);
            Cpu.OutByte((ushort)(s_command + RegLbaMid), 0);
            Cpu.OutByte((ushort)(s_command + RegLbaHigh), 0);
            Cpu.OutByte((ushort)(s_command + RegCommand), CommandIdentify);
            SelectDelay();
            if (Cpu.InByte((ushort)(s_command + RegStatus)) == 0)
            {
                return IdeStatus.NoDevice;
            }
            if (!WaitNotBusy(BusyTimeoutMs, out status))
            {
                return IdeStatus.DeviceTimeout;
            }
            byte mid = Cpu.InByte((ushort)(s_command + RegLbaMid));
            byte high = Cpu.InByte((ushort)(s_command + RegLbaHigh));
            // An ATA disk leaves LBA mid/high zero; ATAPI (14h/EBh) and SATA (3Ch/C3h) devices sign there.
            if (mid != 0 || high != 0)
            {
                return IdeStatus.NotAta;
            }
            ulong deadline = Pit.Deadline(BusyTimeoutMs);
            while ((status & (StatusDataRequest | StatusError)) == 0)
            {
                if (Pit.Ticks >= deadline)
                {
                    return IdeStatus.DeviceTimeout;
                }
                status = Cpu.InByte((ushort)(s_command + RegStatus));
            }
            if ((status & StatusError) != 0)
            {
                s_lastError = Cpu.InByte((ushort)(s_command + RegError));
                return IdeStatus.DeviceError;
            }
            for (int i = 0; i < IdentifyWords; i++)
            {
                s_identifyWords[i] = Cpu.InWord((ushort)(s_command + RegData));
            }
            s_identity.Parse(s_identifyWords);
            // From here on the device signals completion on INTRQ.
            Cpu.OutByte(s_control, ControlInterruptsOn);
            if (!s_identity.SupportsLba || !s_identity.SupportsDma)
            {
                return IdeStatus.Unsupported;
            }
            return IdeStatus.Ok;
        }

        /// <summary>
        /// Takes the transfer buffer and PRD table below 4 GiB if this is their first use; later calls cost
        /// nothing. They are never given back: the controller keeps them for its lifetime.
        /// </summary>
        public static IdeStatus AllocateTransfer()
        {
            IdeStatus probe = Probe();
            if (probe != IdeStatus.Ok)
            {
                return probe;
            }
            return s_transfer.Allocate() ? IdeStatus.Ok : IdeStatus.NoDmaMemory;
        }

        /// <summary>
        /// Reads <paramref name="sectors"/> sectors from <paramref name="lba"/> into the start of
        /// <see cref="Transfer"/>'s buffer, following SFF-8038i's "Standard Programming Sequence": table
        /// pointer, direction and a cleared status first, then the ATA command (READ DMA, or READ DMA EXT
        /// beyond LBA 2^28), then the start bit. The device's interrupt (or, without one, the bus-master
        /// interrupt bit seen by polling) ends it; see <see cref="FinishTransfer"/> and <see cref="Judge"/>.
        /// A failed or timed-out command leaves the channel software-reset, ready for the next one.
        /// </summary>
        public static IdeStatus ReadDma(ulong lba, uint sectors)
        {
            s_lastCommandReset = false;
            IdeStatus ready = AllocateTransfer();
            if (ready != IdeStatus.Ok)
            {
                return ready;
            }
            if (sectors == 0 || sectors > MaxSectorsPerCommand || !s_transfer.Prepare((ulong)sectors * SectorSize))
            {
                return IdeStatus.BadRequest;
            }
            ulong end = lba + sectors;
            if (end > s_identity.Sectors || end < lba)
            {
                return IdeStatus.OutOfRange;
            }
            bool extended = end > Lba28Limit;
            if (extended && !s_identity.SupportsLba48)
            {
                return IdeStatus.OutOfRange;
            }

            ushort bm = s_busMaster;
            Cpu.OutByte((ushort)(bm + BmCommand), 0);
            Cpu.OutDword((ushort)(bm + BmTablePointer), (uint)s_transfer.TablePhysical);
            Cpu.OutByte((ushort)(bm + BmCommand), BmWriteToMemory);
            ClearBusMasterStatus();

            byte device = extended ? DeviceLba : (byte)(DeviceMaster | DeviceLba | (byte)(lba >> 24 & 0x0F));
            Cpu.OutByte((ushort)(s_command + RegDevice), device);
            SelectDelay();
            // READ DMA may be written only with BSY clear and DRDY set (ATA-6, "READ DMA": prerequisites).
            if (!WaitNotBusy(BusyTimeoutMs, out byte status) || (status & StatusReady) == 0)
            {
                s_lastDeviceStatus = status;
                s_lastBusMasterStatus = Cpu.InByte((ushort)(bm + BmStatus));
                s_lastCommandReset = true;
                ResetChannel();
                return IdeStatus.DeviceTimeout;
            }
            if (extended)
            {
                // 48-bit registers are FIFOs of two bytes: the high (previous) byte first.
                Cpu.OutByte((ushort)(s_command + RegSectorCount), (byte)(sectors >> 8));
                Cpu.OutByte((ushort)(s_command + RegLbaLow), (byte)(lba >> 24));
                Cpu.OutByte((ushort)(s_command + RegLbaMid), (byte)(lba >> 32));
                Cpu.OutByte((ushort)(s_command + RegLbaHigh), (byte)(lba >> 40));
            }
            // 256 sectors is written as 0 in the 8-bit count (and its low byte in the 16-bit one).
            Cpu.OutByte((ushort)(s_command + RegSectorCount), (byte)sectors);
            Cpu.OutByte((ushort)(s_command + RegLbaLow), (byte)lba);
            Cpu.OutByte((ushort)(s_command + RegLbaMid), (byte)(lba >> 8));
            Cpu.OutByte((ushort)(s_command + RegLbaHigh), (byte)(lba >> 16));

            s_signal.Reset();
            s_inFlight = true;
            Cpu.OutByte((ushort)(s_command + RegCommand), extended ? CommandReadDmaExt : CommandReadDma);
            Cpu.OutByte((ushort)(bm + BmCommand), BmWriteToMemory | BmStart);
            s_commands++;

            IdeStatus result;
            if (AwaitCompletion())
            {
                result = Judge(s_finishedBusMasterStatus, s_finishedDeviceStatus);
            }
            else
            {
                // No interrupt in time: stop the engine as the handler would have, then say what state it was in.
                Cpu.DisableInterrupts();
                if (s_inFlight)
                {
                    FinishTransfer(Cpu.InByte((ushort)(bm + BmStatus)));
                }
                Cpu.EnableInterrupts();
                result = TimeoutCause(s_finishedBusMasterStatus);
            }
            s_lastBusMasterStatus = s_finishedBusMasterStatus;
            s_lastDeviceStatus = s_finishedDeviceStatus;
            if (result != IdeStatus.Ok)
            {
                // The error register is valid only until the reset clears it.
                s_lastError = Cpu.InByte((ushort)(s_command + RegError));
                s_lastCommandReset = true;
                ResetChannel();
            }
            return result;
        }

        /// <summary>
        /// Software reset of the channel (ATA-6, "Software reset protocol"): the bus master stopped and its
        /// status cleared, SRST set and cleared with the device's interrupt masked, BSY awaited, then the
        /// master selected and identified again, which also unmasks its interrupt. Needed after a timeout or
        /// error, when the device may still be busy with, or stuck in, the failed command.
        /// </summary>
        public static IdeStatus ResetChannel()
        {
            IdeStatus probe = Probe();
            if (probe != IdeStatus.Ok)
            {
                return probe;
            }
            s_resets++;
            s_inFlight = false;
            Cpu.OutByte((ushort)(s_busMaster + BmCommand), 0);
            ClearBusMasterStatus();
            Cpu.OutByte(s_control, ControlSoftwareReset | ControlInterruptsOff);
            Pit.Sleep(ResetHoldMs);
            Cpu.OutByte(s_control, ControlInterruptsOff);
            Pit.Sleep(ResetSettleMs);
            if (!WaitNotBusy(ResetTimeoutMs, out byte status))
            {
                s_lastDeviceStatus = status;
                s_lastResetStatus = IdeStatus.DeviceTimeout;
                return s_lastResetStatus;
            }
            // The reset leaves device 0 selected and the device register cleared; IDENTIFY selects the
            // master again, checks it answers as before and ends with its interrupt unmasked.
            s_lastResetStatus = Identify();
            ClearBusMasterStatus();
            return s_lastResetStatus;
        }

        /// <summary>
        /// IRQ handler. The bus-master interrupt bit latches the channel's INTRQ (SFF-8038i, "Bus Master IDE
        /// Status Register", bit 2): without it the interrupt is not this channel's (a shared line, or a
        /// spurious one) and the device is left alone. With it, the transfer is finished here.
        /// </summary>
        private static void OnInterrupt()
        {
            byte bmStatus = Cpu.InByte((ushort)(s_busMaster + BmStatus));
            if ((bmStatus & BmInterrupt) == 0)
            {
                s_foreignInterrupts++;
                return;
            }
            if (!s_inFlight)
            {
                // Nothing awaits it: acknowledge it at the device and at the bus master, and drop it.
                Cpu.InByte((ushort)(s_command + RegStatus));
                ClearBusMasterStatus();
                s_strayInterrupts++;
                return;
            }
            FinishTransfer(bmStatus);
            s_signal.Raise();
        }

        /// <summary>
        /// With interrupts off, once per command: records the bus-master status read by the caller while the
        /// engine still ran (clearing Start also clears Active, so it must be read first), stops the engine
        /// (SFF-8038i: Start is cleared after the interrupt), reads the device's status register, which
        /// deasserts INTRQ (ATA-6, "Status register"; the alternate status would not), and clears the
        /// bus-master Interrupt and Error bits by writing 1s to them.
        /// </summary>
        private static void FinishTransfer(byte bmStatus)
        {
            Cpu.OutByte((ushort)(s_busMaster + BmCommand), BmWriteToMemory);
            s_finishedDeviceStatus = Cpu.InByte((ushort)(s_command + RegStatus));
            s_finishedBusMasterStatus = bmStatus;
            ClearBusMasterStatus();
            s_inFlight = false;
        }

        /// <summary>
        /// Waits for the transfer to be finished: by the interrupt handler when the line is claimed, else by
        /// polling the bus-master interrupt bit until the deadline. After a claimed interrupt failed to come
        /// the bit is still looked at once, so a lost edge shows as a polled completion rather than a timeout.
        /// </summary>
        private static bool AwaitCompletion()
        {
            if (s_irqClaimed && s_signal.Wait(TransferTimeoutMs))
            {
                return true;
            }
            ulong deadline = s_irqClaimed ? Pit.Ticks : Pit.Deadline(TransferTimeoutMs);
            while (true)
            {
                Cpu.DisableInterrupts();
                bool finished = !s_inFlight;
                if (!finished)
                {
                    byte bmStatus = Cpu.InByte((ushort)(s_busMaster + BmStatus));
                    if ((bmStatus & BmInterrupt) != 0)
                    {
                        FinishTransfer(bmStatus);
                        s_polledCompletions++;
                        finished = true;
                    }
                }
                Cpu.EnableInterrupts();
                if (finished)
                {
                    return true;
                }
                if (Pit.Ticks >= deadline)
                {
                    return false;
                }
                Cpu.Pause();
            }
        }

        /// <summary>
        /// A finished transfer judged as SFF-8038i's status-bit table says, the PRD table having been sized to
        /// the command exactly: Interrupt set with Active clear is the only whole transfer; Active still set
        /// means the device ended the command before the table was used up. The device must be done too:
        /// BSY and DRQ clear, ERR and DF clear.
        /// </summary>
        private static IdeStatus Judge(byte bmStatus, byte deviceStatus)
        {
            if ((bmStatus & BmError) != 0)
            {
                return IdeStatus.BusMasterError;
            }
            if ((deviceStatus & (StatusError | StatusFault)) != 0)
            {
                return IdeStatus.DeviceError;
            }
            if ((deviceStatus & (StatusBusy | StatusDataRequest)) != 0)
            {
                return IdeStatus.DeviceNotDone;
            }
            if ((bmStatus & BmActive) != 0)
            {
                return IdeStatus.TransferIncomplete;
            }
            return IdeStatus.Ok;
        }

        /// <summary>
        /// Why no interrupt came, from the bus-master status read before the engine was stopped: a bus error,
        /// the engine run out of descriptors (Active clear) while the device wanted more, or the device silent.
        /// </summary>
        private static IdeStatus TimeoutCause(byte bmStatus)
        {
            if ((bmStatus & BmError) != 0)
            {
                return IdeStatus.BusMasterError;
            }
            return (bmStatus & BmActive) == 0 ? IdeStatus.PrdTableExhausted : IdeStatus.InterruptTimeout;
        }

        /// <summary>Clears the bus-master Interrupt and Error bits (write 1 to clear), keeping the DMA-capable bits.</summary>
        private static void ClearBusMasterStatus()
        {
            ushort port = (ushort)(s_busMaster + BmStatus);
            Cpu.OutByte(port, (byte)(Cpu.InByte(port) & BmDmaCapable | BmError | BmInterrupt));
        }

        /// <summary>
        /// The 400 ns a device may take to put its status on the bus after a select or a command
        /// (ATA-6 protocol timing): four reads of the alternate status register.
        /// </summary>
        private static void SelectDelay()
        {
            for (int i = 0; i < 4; i++)
            {
                Cpu.InByte(s_control);
            }
        }

        /// <summary>Polls the alternate status (which leaves INTRQ alone) until BSY clears or the time runs out.</summary>
        private static bool WaitNotBusy(ulong timeoutMs, out byte status)
        {
            ulong deadline = Pit.Deadline(timeoutMs);
            while (true)
            {
                status = Cpu.InByte(s_control);
                if ((status & StatusBusy) == 0)
                {
                    return true;
                }
                if (Pit.Ticks >= deadline)
                {
                    return false;
                }
                Cpu.Pause();
            }
        }


    }
}
