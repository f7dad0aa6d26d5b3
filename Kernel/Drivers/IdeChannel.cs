using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// One channel of a PCI IDE controller: its command and control blocks, its eight bus-master registers,
/// its interrupt line, the transfer buffer and PRD table its commands use, and the two device positions
/// (master, slave) that share all of them. Facts cited are from SFF-8038i rev. 1.0 ("Bus Master
/// Programming Interface for IDE ATA Controllers") and ATA/ATAPI-6 (T13/1410D). Timing registers and
/// DMA modes are left as the firmware set them.
/// </summary>
/// <remarks>
/// The two devices of a channel share its registers, its bus master and its interrupt, so one command
/// runs on a channel at a time, and a software reset resets both devices.
/// </remarks>
internal sealed unsafe class IdeChannel
{
    public const uint SectorSize = 512;

    /// <summary>READ DMA's sector count register is 8 bits, 0 meaning 256 (ATA-6, "READ DMA").</summary>
    public const uint MaxSectorsPerCommand = 256;

    /// <summary>Device positions on a channel: bit 4 of the device register selects the slave.</summary>
    public const int Master = 0;
    public const int Slave = 1;
    public const int Positions = 2;

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

    // Device register: bit 6 LBA; bits 7 and 5 are obsolete and set by convention; bit 4 selects the slave.
    private const byte DeviceObsolete = 0xA0;
    private const byte DeviceSlave = 0x10;
    private const byte DeviceLba = 0x40;

    private const byte CommandIdentify = 0xEC;
    private const byte CommandReadDma = 0xC8;
    private const byte CommandReadDmaExt = 0x25;
    private const byte CommandWriteDma = 0xCA;
    private const byte CommandWriteDmaExt = 0x35;
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

    private readonly ushort _command;
    private readonly ushort _control;
    private readonly ushort _busMaster;
    private readonly IrqSignal _signal = new IrqSignal();
    // One command at a time: held from the copy into the buffer to the copy out of it, the holder
    // sleeping meanwhile until the interrupt.
    private readonly SleepLock _lock = new SleepLock();
    private readonly BusMasterTransfer _transfer = new BusMasterTransfer();
    private readonly AtaIdentity[] _identities = new AtaIdentity[Positions];
    private readonly IdeStatus[] _positionStatus = new IdeStatus[Positions];
    private ushort* _identifyWords;
    // A command is outstanding: set before the command is written, cleared by FinishTransfer, which the
    // interrupt handler or the polling request path runs once, with interrupts off.
    private volatile bool _inFlight;
    private byte _direction;
    private byte _finishedBusMasterStatus;
    private byte _finishedDeviceStatus;
    private byte _lastBusMasterStatus;
    private byte _lastDeviceStatus;
    private byte _lastError;
    private IdeStatus _lastResetStatus;
    private bool _lastCommandReset;
    private ulong _commands;
    private ulong _polledCompletions;
    private ulong _foreignInterrupts;
    private ulong _strayInterrupts;
    private ulong _resets;

    public IdeChannel(string name, ushort command, ushort control, ushort busMaster, int irq, bool native)
    {
        Name = name;
        _command = command;
        _control = control;
        _busMaster = busMaster;
        Irq = irq;
        NativeMode = native;
        for (int i = 0; i < Positions; i++)
        {
            _identities[i] = new AtaIdentity();
            _positionStatus[i] = IdeStatus.NoDevice;
        }
    }

    /// <summary>"primary" or "secondary".</summary>
    public string Name { get; }

    public bool NativeMode { get; }

    public ushort CommandBase => _command;

    public ushort ControlBase => _control;

    public ushort BusMasterBase => _busMaster;

    public int Irq { get; }

    /// <summary>False when the channel's line could not be claimed: completion is then polled.</summary>
    public bool IrqClaimed { get; set; }

    public byte LastBusMasterStatus => _lastBusMasterStatus;

    public byte LastDeviceStatus => _lastDeviceStatus;

    public byte LastError => _lastError;

    public ulong Commands => _commands;

    /// <summary>Commands that had to wait for another thread's command on the channel to end.</summary>
    public ulong ContendedCommands => _lock.Contended;

    /// <summary>Transfers whose end was seen in the bus-master status because no interrupt came.</summary>
    public ulong PolledCompletions => _polledCompletions;

    /// <summary>Interrupts on the channel's line without its bus-master interrupt bit: another device's, or spurious.</summary>
    public ulong ForeignInterrupts => _foreignInterrupts;

    /// <summary>Interrupts of the channel while no command was outstanding (acknowledged and dropped).</summary>
    public ulong StrayInterrupts => _strayInterrupts;

    /// <summary>Software resets of the channel after a failed or timed-out command, or asked for.</summary>
    public ulong Resets => _resets;

    /// <summary>What the last software reset's re-identification answered (Ok when none happened).</summary>
    public IdeStatus LastResetStatus => _lastResetStatus;

    /// <summary>The last command failed at the device or bus master and reset the channel.</summary>
    public bool LastCommandReset => _lastCommandReset;

    /// <summary>The channel's transfer buffer and PRD table, taken at its first transfer and kept.</summary>
    public BusMasterTransfer Transfer => _transfer;

    /// <summary>What IDENTIFY answered at <paramref name="position"/> (Ok: an ATA disk that does LBA and DMA).</summary>
    public IdeStatus PositionStatus(int position) => _positionStatus[position];

    /// <summary>The identity of the device at <paramref name="position"/>, filled when IDENTIFY succeeded.</summary>
    public AtaIdentity Identity(int position) => _identities[position];

    /// <summary>
    /// Identifies both positions with the devices' interrupts masked, then unmasks them if an ATA disk
    /// answered (the control register is shared: both devices see it).
    /// </summary>
    public void Probe()
    {
        if (_identifyWords == null)
        {
            _identifyWords = (ushort*)Memory.MemoryManager.Heap.Allocate(IdentifyWords * sizeof(ushort));
        }
        bool anyDisk = false;
        for (int position = 0; position < Positions; position++)
        {
            _positionStatus[position] = Identify(position);
            anyDisk |= _positionStatus[position] == IdeStatus.Ok;
        }
        Cpu.OutByte(_control, anyDisk ? ControlInterruptsOn : ControlInterruptsOff);
    }

    /// <summary>
    /// IDENTIFY DEVICE (ATA-6) by PIO with the devices' interrupts masked (nIEN), polling BSY and DRQ.
    /// Status 00h or FFh means no device; an ATAPI or SATA signature means no ATA disk.
    /// </summary>
    private IdeStatus Identify(int position)
    {
        Cpu.OutByte(_control, ControlInterruptsOff);
        Cpu.OutByte((ushort)(_command + RegDevice), SelectByte(position));
        SelectDelay();
        byte status = Cpu.InByte((ushort)(_command + RegStatus));
        if (status == 0x00 || status == 0xFF)
        {
            return IdeStatus.NoDevice;
        }
        if (!WaitNotBusy(BusyTimeoutMs, out status))
        {
            return IdeStatus.DeviceTimeout;
        }
        Cpu.OutByte((ushort)(_command + RegSectorCount), 0);
        Cpu.OutByte((ushort)(_command + RegLbaLow), 0);
        Cpu.OutByte((ushort)(_command + RegLbaMid), 0);
        Cpu.OutByte((ushort)(_command + RegLbaHigh), 0);
        Cpu.OutByte((ushort)(_command + RegCommand), CommandIdentify);
        SelectDelay();
        if (Cpu.InByte((ushort)(_command + RegStatus)) == 0)
        {
            return IdeStatus.NoDevice;
        }
        if (!WaitNotBusy(BusyTimeoutMs, out status))
        {
            return IdeStatus.DeviceTimeout;
        }
        byte mid = Cpu.InByte((ushort)(_command + RegLbaMid));
        byte high = Cpu.InByte((ushort)(_command + RegLbaHigh));
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
            status = Cpu.InByte((ushort)(_command + RegStatus));
        }
        if ((status & StatusError) != 0)
        {
            _lastError = Cpu.InByte((ushort)(_command + RegError));
            return IdeStatus.DeviceError;
        }
        for (int i = 0; i < IdentifyWords; i++)
        {
            _identifyWords[i] = Cpu.InWord((ushort)(_command + RegData));
        }
        AtaIdentity identity = _identities[position];
        identity.Parse(_identifyWords);
        if (!identity.SupportsLba || !identity.SupportsDma)
        {
            return IdeStatus.Unsupported;
        }
        return IdeStatus.Ok;
    }

    /// <summary>
    /// Takes the transfer buffer and PRD table below 4 GiB if this is their first use; later calls cost
    /// nothing. They are never given back: the channel keeps them for its lifetime.
    /// </summary>
    public IdeStatus AllocateTransfer() => _transfer.Allocate() ? IdeStatus.Ok : IdeStatus.NoDmaMemory;

    /// <summary>
    /// Reads <paramref name="sectors"/> sectors from <paramref name="lba"/> of the disk at
    /// <paramref name="position"/> into the start of <see cref="Transfer"/>'s buffer, where they stay until
    /// the channel's next command.
    /// </summary>
    public IdeStatus ReadDma(int position, ulong lba, uint sectors)
    {
        _lock.Acquire();
        IdeStatus status = Execute(position, lba, sectors, write: false);
        _lock.Release();
        return status;
    }

    /// <summary>
    /// Reads <paramref name="sectors"/> sectors from <paramref name="lba"/> into <paramref name="destination"/>
    /// (any kernel address: the device fills the channel's buffer below 4 GiB, which is copied out). The
    /// destination is untouched unless the read succeeded.
    /// </summary>
    public IdeStatus Read(int position, ulong lba, uint sectors, byte* destination)
    {
        _lock.Acquire();
        IdeStatus status = Execute(position, lba, sectors, write: false);
        if (status == IdeStatus.Ok)
        {
            System.Runtime.RuntimeExports.memmove(destination, _transfer.Buffer.Virtual, (nuint)(sectors * SectorSize));
        }
        _lock.Release();
        return status;
    }

    /// <summary>
    /// Writes <paramref name="sectors"/> sectors from <paramref name="source"/> (any kernel address: it is
    /// copied into the channel's buffer below 4 GiB, which the device reads) to <paramref name="lba"/>.
    /// </summary>
    public IdeStatus Write(int position, ulong lba, uint sectors, byte* source)
    {
        if (sectors == 0 || sectors > MaxSectorsPerCommand)
        {
            return IdeStatus.BadRequest;
        }
        _lock.Acquire();
        IdeStatus status = AllocateTransfer();
        if (status == IdeStatus.Ok)
        {
            System.Runtime.RuntimeExports.memmove(_transfer.Buffer.Virtual, source, (nuint)(sectors * SectorSize));
            status = Execute(position, lba, sectors, write: true);
        }
        _lock.Release();
        return status;
    }

    /// <summary>
    /// One DMA command following SFF-8038i's "Standard Programming Sequence": table pointer, direction and
    /// a cleared status first, then the ATA command (READ DMA or WRITE DMA, their EXT forms when the
    /// sectors reach past LBA 2^28), then the start bit. The device's interrupt (or, without one, the
    /// bus-master interrupt bit seen by polling) ends it; see <see cref="FinishTransfer"/> and
    /// <see cref="Judge"/>. A failed or timed-out command leaves the channel software-reset, ready for the
    /// next one. A write takes its data from the start of the transfer buffer. The caller holds the lock;
    /// the thread sleeps until the interrupt (see <see cref="IrqSignal"/>).
    /// </summary>
    private IdeStatus Execute(int position, ulong lba, uint sectors, bool write)
    {
        _lastCommandReset = false;
        if (_positionStatus[position] != IdeStatus.Ok)
        {
            return _positionStatus[position];
        }
        IdeStatus ready = AllocateTransfer();
        if (ready != IdeStatus.Ok)
        {
            return ready;
        }
        AtaIdentity identity = _identities[position];
        if (sectors == 0 || sectors > MaxSectorsPerCommand || !_transfer.Prepare((ulong)sectors * SectorSize))
        {
            return IdeStatus.BadRequest;
        }
        ulong end = lba + sectors;
        if (end > identity.Sectors || end < lba)
        {
            return IdeStatus.OutOfRange;
        }
        bool extended = end > Lba28Limit;
        if (extended && !identity.SupportsLba48)
        {
            return IdeStatus.OutOfRange;
        }

        ushort bm = _busMaster;
        // The direction is the bus master's: it writes memory for a disk read.
        _direction = write ? (byte)0 : BmWriteToMemory;
        Cpu.OutByte((ushort)(bm + BmCommand), 0);
        Cpu.OutDword((ushort)(bm + BmTablePointer), (uint)_transfer.TablePhysical);
        Cpu.OutByte((ushort)(bm + BmCommand), _direction);
        ClearBusMasterStatus();

        byte device = extended ? (byte)(DeviceLba | PositionBit(position)) : (byte)(SelectByte(position) | DeviceLba | (byte)(lba >> 24 & 0x0F));
        Cpu.OutByte((ushort)(_command + RegDevice), device);
        SelectDelay();
        // READ DMA and WRITE DMA may be written only with BSY clear and DRDY set (ATA-6: prerequisites).
        if (!WaitNotBusy(BusyTimeoutMs, out byte status) || (status & StatusReady) == 0)
        {
            _lastDeviceStatus = status;
            _lastBusMasterStatus = Cpu.InByte((ushort)(bm + BmStatus));
            _lastCommandReset = true;
            ResetLocked();
            return IdeStatus.DeviceTimeout;
        }
        if (extended)
        {
            // 48-bit registers are FIFOs of two bytes: the high (previous) byte first.
            Cpu.OutByte((ushort)(_command + RegSectorCount), (byte)(sectors >> 8));
            Cpu.OutByte((ushort)(_command + RegLbaLow), (byte)(lba >> 24));
            Cpu.OutByte((ushort)(_command + RegLbaMid), (byte)(lba >> 32));
            Cpu.OutByte((ushort)(_command + RegLbaHigh), (byte)(lba >> 40));
        }
        // 256 sectors is written as 0 in the 8-bit count (and its low byte in the 16-bit one).
        Cpu.OutByte((ushort)(_command + RegSectorCount), (byte)sectors);
        Cpu.OutByte((ushort)(_command + RegLbaLow), (byte)lba);
        Cpu.OutByte((ushort)(_command + RegLbaMid), (byte)(lba >> 8));
        Cpu.OutByte((ushort)(_command + RegLbaHigh), (byte)(lba >> 16));

        _signal.Reset();
        _inFlight = true;
        byte ataCommand = write ? (extended ? CommandWriteDmaExt : CommandWriteDma) : (extended ? CommandReadDmaExt : CommandReadDma);
        Cpu.OutByte((ushort)(_command + RegCommand), ataCommand);
        Cpu.OutByte((ushort)(bm + BmCommand), (byte)(_direction | BmStart));
        _commands++;

        IdeStatus result;
        if (AwaitCompletion())
        {
            result = Judge(_finishedBusMasterStatus, _finishedDeviceStatus);
        }
        else
        {
            // No interrupt in time: stop the engine as the handler would have, then say what state it was in.
            ulong flags = Cpu.SaveAndDisableInterrupts();
            if (_inFlight)
            {
                FinishTransfer(Cpu.InByte((ushort)(bm + BmStatus)));
            }
            Cpu.RestoreInterrupts(flags);
            result = TimeoutCause(_finishedBusMasterStatus);
        }
        _lastBusMasterStatus = _finishedBusMasterStatus;
        _lastDeviceStatus = _finishedDeviceStatus;
        if (result != IdeStatus.Ok)
        {
            // The error register is valid only until the reset clears it.
            _lastError = Cpu.InByte((ushort)(_command + RegError));
            _lastCommandReset = true;
            ResetLocked();
        }
        return result;
    }

    /// <summary>
    /// Software reset of the channel (ATA-6, "Software reset protocol"): the bus master stopped and its
    /// status cleared, SRST set and cleared with the devices' interrupts masked, BSY awaited, then every
    /// disk found at the probe identified again, which checks it answers as before; the interrupts are
    /// unmasked at the end. Needed after a timeout or error, when a device may still be busy with, or
    /// stuck in, the failed command. Both devices of the channel are reset.
    /// </summary>
    public IdeStatus Reset()
    {
        _lock.Acquire();
        IdeStatus status = ResetLocked();
        _lock.Release();
        return status;
    }

    private IdeStatus ResetLocked()
    {
        _resets++;
        _inFlight = false;
        Cpu.OutByte((ushort)(_busMaster + BmCommand), 0);
        ClearBusMasterStatus();
        Cpu.OutByte(_control, ControlSoftwareReset | ControlInterruptsOff);
        Pit.Sleep(ResetHoldMs);
        Cpu.OutByte(_control, ControlInterruptsOff);
        Pit.Sleep(ResetSettleMs);
        if (!WaitNotBusy(ResetTimeoutMs, out byte status))
        {
            _lastDeviceStatus = status;
            _lastResetStatus = IdeStatus.DeviceTimeout;
            return _lastResetStatus;
        }
        IdeStatus result = IdeStatus.Ok;
        bool anyDisk = false;
        for (int position = 0; position < Positions; position++)
        {
            if (_positionStatus[position] != IdeStatus.Ok)
            {
                continue;
            }
            anyDisk = true;
            IdeStatus again = Identify(position);
            if (again != IdeStatus.Ok)
            {
                result = again;
            }
        }
        Cpu.OutByte(_control, anyDisk ? ControlInterruptsOn : ControlInterruptsOff);
        ClearBusMasterStatus();
        _lastResetStatus = result;
        return result;
    }

    /// <summary>
    /// The channel's part of its line's interrupt. The bus-master interrupt bit latches the channel's
    /// INTRQ (SFF-8038i, "Bus Master IDE Status Register", bit 2): without it the interrupt is not this
    /// channel's (a shared line, or a spurious one) and the devices are left alone. With it, the transfer
    /// is finished here.
    /// </summary>
    public void OnInterrupt()
    {
        byte bmStatus = Cpu.InByte((ushort)(_busMaster + BmStatus));
        if ((bmStatus & BmInterrupt) == 0)
        {
            _foreignInterrupts++;
            return;
        }
        if (!_inFlight)
        {
            // Nothing awaits it: acknowledge it at the device and at the bus master, and drop it.
            Cpu.InByte((ushort)(_command + RegStatus));
            ClearBusMasterStatus();
            _strayInterrupts++;
            return;
        }
        FinishTransfer(bmStatus);
        _signal.Raise();
    }

    /// <summary>
    /// With interrupts off, once per command: records the bus-master status read by the caller while the
    /// engine still ran (clearing Start also clears Active, so it must be read first), stops the engine
    /// (SFF-8038i: Start is cleared after the interrupt), reads the device's status register, which
    /// deasserts INTRQ (ATA-6, "Status register"; the alternate status would not), and clears the
    /// bus-master Interrupt and Error bits by writing 1s to them.
    /// </summary>
    private void FinishTransfer(byte bmStatus)
    {
        Cpu.OutByte((ushort)(_busMaster + BmCommand), _direction);
        _finishedDeviceStatus = Cpu.InByte((ushort)(_command + RegStatus));
        _finishedBusMasterStatus = bmStatus;
        ClearBusMasterStatus();
        _inFlight = false;
    }

    /// <summary>
    /// Waits for the transfer to be finished: by the interrupt handler when the line is claimed, else by
    /// polling the bus-master interrupt bit until the deadline. After a claimed interrupt failed to come
    /// the bit is still looked at once, so a lost edge shows as a polled completion rather than a timeout.
    /// </summary>
    private bool AwaitCompletion()
    {
        if (IrqClaimed && _signal.Wait(TransferTimeoutMs))
        {
            return true;
        }
        ulong deadline = IrqClaimed ? Pit.Ticks : Pit.Deadline(TransferTimeoutMs);
        while (true)
        {
            ulong flags = Cpu.SaveAndDisableInterrupts();
            bool finished = !_inFlight;
            if (!finished)
            {
                byte bmStatus = Cpu.InByte((ushort)(_busMaster + BmStatus));
                if ((bmStatus & BmInterrupt) != 0)
                {
                    FinishTransfer(bmStatus);
                    _polledCompletions++;
                    finished = true;
                }
            }
            Cpu.RestoreInterrupts(flags);
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

    private static byte PositionBit(int position) => position == Slave ? DeviceSlave : (byte)0;

    private static byte SelectByte(int position) => (byte)(DeviceObsolete | PositionBit(position));

    /// <summary>Clears the bus-master Interrupt and Error bits (write 1 to clear), keeping the DMA-capable bits.</summary>
    private void ClearBusMasterStatus()
    {
        ushort port = (ushort)(_busMaster + BmStatus);
        Cpu.OutByte(port, (byte)(Cpu.InByte(port) & BmDmaCapable | BmError | BmInterrupt));
    }

    /// <summary>
    /// The 400 ns a device may take to put its status on the bus after a select or a command
    /// (ATA-6 protocol timing): four reads of the alternate status register.
    /// </summary>
    private void SelectDelay()
    {
        for (int i = 0; i < 4; i++)
        {
            Cpu.InByte(_control);
        }
    }

    /// <summary>Polls the alternate status (which leaves INTRQ alone) until BSY clears or the time runs out.</summary>
    private bool WaitNotBusy(ulong timeoutMs, out byte status)
    {
        ulong deadline = Pit.Deadline(timeoutMs);
        while (true)
        {
            status = Cpu.InByte(_control);
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
