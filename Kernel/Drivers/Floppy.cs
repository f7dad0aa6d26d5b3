using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Drivers;

/// <summary>
/// The first drive on an 82077AA-compatible floppy disk controller at 0x3F0 (IRQ 6, ISA DMA channel 2),
/// for a 3.5" 1.44 MB disk: 80 cylinders, 2 heads, 18 sectors of 512 bytes per track, MFM at 500 kbit/s.
/// Reads one sector at a time by DMA into a caller's buffer that meets the 8237's limits. Facts cited are
/// from the Intel 82077AA datasheet (order 290166), by the name of its section.
/// </summary>
internal static unsafe class Floppy
{
    public const uint SectorSize = 512;
    public const uint Cylinders = 80;
    public const uint Heads = 2;
    public const uint SectorsPerTrack = 18;
    public const uint SectorCount = Cylinders * Heads * SectorsPerTrack;
    public const int Irq = 6;
    private const int Drive = 0;

    private const ushort DigitalOutput = 0x3F2;
    private const ushort MainStatus = 0x3F4;
    private const ushort Fifo = 0x3F5;
    private const ushort ConfigurationControl = 0x3F7;

    // DOR: bits 1-0 drive select, bit 2 !RESET, bit 3 DMA gate (enables DRQ and INT), bits 7-4 motors.
    private const byte DorNotReset = 0x04;
    private const byte DorDmaGate = 0x08;
    private const byte DorMotorA = 0x10;

    // MSR: bit 7 RQM (data register ready), bit 6 DIO (1: controller to CPU), bit 4 command busy.
    private const byte MsrRequestForMaster = 0x80;
    private const byte MsrDataToCpu = 0x40;

    // Commands ("Command Set/Descriptions"): the READ DATA opcode carries MT (multi-track) and MFM.
    private const byte CommandSpecify = 0x03;
    private const byte CommandRecalibrate = 0x07;
    private const byte CommandSenseInterrupt = 0x08;
    private const byte CommandSeek = 0x0F;
    private const byte CommandVersion = 0x10;
    private const byte CommandReadData = 0x06;
    private const byte FlagMultiTrack = 0x80;
    private const byte FlagMfm = 0x40;

    // CMOS drive type 4: 3.5", 1.44 MB.
    private const byte DriveType144 = 4;

    // CCR bits 1-0: 00 = 500 kbit/s, the rate of a 1.44 MB disk.
    private const byte DataRate500Kbps = 0x00;

    // SPECIFY at 500 kbit/s: step rate time 8 ms (SRT = 16 - 8), head unload time 240 ms (HUT = 15),
    // head load time 10 ms (HLT = 5, 2 ms units), ND = 0 (DMA mode).
    private const byte SpecifyStepAndUnload = (16 - 8) << 4 | 0x0F;
    private const byte SpecifyLoadAndDma = 5 << 1;

    // READ DATA parameters: N = 2 (128 << 2 = 512 bytes), GPL = 0x1B (gap 3 for 1.44 MB), DTL unused.
    private const byte SizeCode512 = 2;
    private const byte Gap3Length = 0x1B;
    private const byte DataLength = 0xFF;

    // ST0 bits 7-6 interrupt code: 00 normal termination; bit 5 SE (seek end).
    private const byte St0InterruptCodeMask = 0xC0;
    private const byte St0SeekEnd = 0x20;

    private const ulong CommandTimeoutMs = 100;
    private const ulong ResetTimeoutMs = 500;
    private const ulong SeekTimeoutMs = 3000;
    private const ulong TransferTimeoutMs = 2000;
    // A 3.5" drive reaches speed in well under the 500 ms its specification allows; Linux waits 300 ms.
    private const ulong MotorSpinUpMs = 300;
    // After a seek the heads settle for about 15 ms before data can be read reliably.
    private const ulong HeadSettleMs = 15;
    private const int ReadAttempts = 3;
    private const int ResultBytes = 7;

    private static bool s_probed;
    private static bool s_present;
    private static byte s_driveType;
    private static bool s_ready;
    private static bool s_motorOn;
    private static int s_cylinder = -1;
    private static IrqSignal s_irq;
    private static byte s_version;
    private static byte[] s_result;
    private static ulong s_reads;
    private static ulong s_retries;

    /// <summary>The drive type nibble CMOS reported (0 none, 4 = 1.44 MB).</summary>
    public static byte DriveType => s_driveType;

    /// <summary>ST0, ST1, ST2 of the last READ DATA, for error reports.</summary>
    public static byte LastSt0 => s_result == null ? (byte)0 : s_result[0];

    public static byte LastSt1 => s_result == null ? (byte)0 : s_result[1];

    public static byte LastSt2 => s_result == null ? (byte)0 : s_result[2];

    /// <summary>
    /// The controller's answer to VERSION after the first reset: 0x90 for an 82077AA or compatible; an
    /// 8272A/765A rejects the command (0x80, invalid).
    /// </summary>
    public static byte ControllerVersion => s_version;

    public static ulong Reads => s_reads;

    public static ulong Retries => s_retries;

    /// <summary>
    /// Looks for the first drive in CMOS and claims IRQ 6; the controller is reset on the first read.
    /// Returns the probe's answer (Ok, NoDrive or UnsupportedDrive); repeated calls cost nothing.
    /// </summary>
    public static FloppyStatus Probe()
    {
        if (!s_probed)
        {
            s_probed = true;
            s_driveType = (byte)(Cmos.Read(Cmos.FloppyDriveTypes) >> 4);
            s_present = s_driveType != 0;
            if (s_present)
            {
                s_irq = new IrqSignal();
                s_result = new byte[ResultBytes];
                Interrupts.Register(Irq, &OnInterrupt);
            }
        }
        if (!s_present)
        {
            return FloppyStatus.NoDrive;
        }
        return s_driveType == DriveType144 ? FloppyStatus.Ok : FloppyStatus.UnsupportedDrive;
    }

    /// <summary>
    /// Reads sector <paramref name="lba"/> into <paramref name="buffer"/>, which must hold a sector, lie
    /// below 16 MiB and not cross a 64 KiB boundary. Turns the motor on if it is off (and leaves it on for
    /// the next read: call <see cref="MotorOff"/> when done). Retries twice, recalibrating, on errors.
    /// </summary>
    public static FloppyStatus Read(uint lba, DmaBuffer buffer)
    {
        FloppyStatus status = Probe();
        if (status != FloppyStatus.Ok)
        {
            return status;
        }
        if (lba >= SectorCount)
        {
            return FloppyStatus.OutOfRange;
        }
        if (!buffer.IsValid || buffer.Size < SectorSize)
        {
            return FloppyStatus.BadBuffer;
        }
        if (!s_ready)
        {
            status = Reset();
            if (status != FloppyStatus.Ok)
            {
                return status;
            }
        }
        MotorOn();

        // CHS from LBA: sectors are numbered from 1, and the head changes before the cylinder.
        uint cylinder = lba / (Heads * SectorsPerTrack);
        uint head = lba / SectorsPerTrack % Heads;
        uint sector = lba % SectorsPerTrack + 1;
        for (int attempt = 0; attempt < ReadAttempts; attempt++)
        {
            if (attempt != 0)
            {
                s_retries++;
                s_cylinder = -1;
                Recalibrate();
            }
            status = Seek(cylinder);
            if (status == FloppyStatus.Ok)
            {
                status = ReadSector(cylinder, head, sector, buffer);
            }
            if (status == FloppyStatus.Ok || status == FloppyStatus.BadBuffer)
            {
                break;
            }
        }
        if (status == FloppyStatus.Ok)
        {
            s_reads++;
        }
        return status;
    }

    /// <summary>Turns the spindle motor off (the DOR keeps the controller out of reset).</summary>
    public static void MotorOff()
    {
        if (s_motorOn)
        {
            Cpu.OutByte(DigitalOutput, DorNotReset | DorDmaGate | Drive);
            s_motorOn = false;
        }
    }

    private static void MotorOn()
    {
        if (s_motorOn)
        {
            return;
        }
        Cpu.OutByte(DigitalOutput, DorMotorA << Drive | DorNotReset | DorDmaGate | Drive);
        s_motorOn = true;
        Pit.Sleep(MotorSpinUpMs);
    }

    private static void OnInterrupt() => s_irq.Raise();

    /// <summary>
    /// Reset through the DOR ("Reset": !RESET low, then high with the DMA gate set), which interrupts
    /// once; with drive polling enabled after reset, four SENSE INTERRUPT STATUS commands (one per drive)
    /// clear the pending status. Then the data rate, SPECIFY and a recalibration to cylinder 0.
    /// </summary>
    private static FloppyStatus Reset()
    {
        s_irq.Reset();
        Cpu.OutByte(DigitalOutput, 0);
        Pit.Sleep(1);
        Cpu.OutByte(DigitalOutput, DorNotReset | DorDmaGate | Drive);
        s_motorOn = false;
        if (!s_irq.Wait(ResetTimeoutMs))
        {
            return FloppyStatus.InterruptTimeout;
        }
        for (int i = 0; i < 4; i++)
        {
            if (!SenseInterrupt(out _, out _))
            {
                return FloppyStatus.ControllerTimeout;
            }
        }
        Cpu.OutByte(ConfigurationControl, DataRate500Kbps);
        if (!SendByte(CommandVersion) || !ReadResultByte(out s_version))
        {
            return FloppyStatus.ControllerTimeout;
        }
        if (!SendByte(CommandSpecify) || !SendByte(SpecifyStepAndUnload) || !SendByte(SpecifyLoadAndDma))
        {
            return FloppyStatus.ControllerTimeout;
        }
        MotorOn();
        FloppyStatus status = Recalibrate();
        if (status != FloppyStatus.Ok)
        {
            return status;
        }
        s_ready = true;
        return FloppyStatus.Ok;
    }

    /// <summary>
    /// Steps the heads to cylinder 0 (track 0 signal). The 82077AA gives up after 79 steps ("Recalibrate"),
    /// so a second attempt covers heads that started beyond cylinder 79.
    /// </summary>
    private static FloppyStatus Recalibrate()
    {
        FloppyStatus status = FloppyStatus.SeekFailed;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            s_irq.Reset();
            if (!SendByte(CommandRecalibrate) || !SendByte(Drive))
            {
                return FloppyStatus.ControllerTimeout;
            }
            status = FinishSeek(0);
            if (status == FloppyStatus.Ok)
            {
                s_cylinder = 0;
                return status;
            }
        }
        s_cylinder = -1;
        return status;
    }

    private static FloppyStatus Seek(uint cylinder)
    {
        if (s_cylinder == (int)cylinder)
        {
            return FloppyStatus.Ok;
        }
        s_irq.Reset();
        // Byte 1: bit 2 head (a SEEK moves both heads; 0 is fine), bits 1-0 drive.
        if (!SendByte(CommandSeek) || !SendByte(Drive) || !SendByte((byte)cylinder))
        {
            return FloppyStatus.ControllerTimeout;
        }
        FloppyStatus status = FinishSeek(cylinder);
        if (status != FloppyStatus.Ok)
        {
            s_cylinder = -1;
            return status;
        }
        s_cylinder = (int)cylinder;
        Pit.Sleep(HeadSettleMs);
        return status;
    }

    /// <summary>
    /// A seek or recalibration has no result phase: it interrupts when done, and SENSE INTERRUPT STATUS
    /// returns ST0 (SE set, interrupt code 00 when it ended normally) and the present cylinder number.
    /// </summary>
    private static FloppyStatus FinishSeek(uint cylinder)
    {
        if (!s_irq.Wait(SeekTimeoutMs))
        {
            return FloppyStatus.InterruptTimeout;
        }
        if (!SenseInterrupt(out byte st0, out byte presentCylinder))
        {
            return FloppyStatus.ControllerTimeout;
        }
        if ((st0 & St0InterruptCodeMask) != 0 || (st0 & St0SeekEnd) == 0 || presentCylinder != cylinder)
        {
            return FloppyStatus.SeekFailed;
        }
        return FloppyStatus.Ok;
    }

    /// <summary>
    /// READ DATA of one sector ("Read Data"): the 8237 is set up first, then the nine command bytes.
    /// The controller reads from sector R on, up to EOT; the 8237's terminal count after 512 bytes ends
    /// the command, which interrupts at the start of its seven-byte result phase (ST0 ST1 ST2 C H R N).
    /// </summary>
    private static FloppyStatus ReadSector(uint cylinder, uint head, uint sector, DmaBuffer buffer)
    {
        if (!IsaDma.Prepare(IsaDma.FloppyChannel, buffer.Physical, SectorSize, IsaDmaDirection.DeviceToMemory))
        {
            return FloppyStatus.BadBuffer;
        }
        s_irq.Reset();
        bool sent = SendByte(CommandReadData | FlagMultiTrack | FlagMfm)
            && SendByte((byte)(head << 2 | Drive))
            && SendByte((byte)cylinder)
            && SendByte((byte)head)
            && SendByte((byte)sector)
            && SendByte(SizeCode512)
            && SendByte((byte)SectorsPerTrack)
            && SendByte(Gap3Length)
            && SendByte(DataLength);
        if (!sent)
        {
            IsaDma.Mask(IsaDma.FloppyChannel);
            return FloppyStatus.ControllerTimeout;
        }
        bool interrupted = s_irq.Wait(TransferTimeoutMs);
        for (int i = 0; i < ResultBytes; i++)
        {
            if (!ReadResultByte(out s_result[i]))
            {
                IsaDma.Mask(IsaDma.FloppyChannel);
                s_ready = false;
                return interrupted ? FloppyStatus.ControllerTimeout : FloppyStatus.InterruptTimeout;
            }
        }
        IsaDma.Mask(IsaDma.FloppyChannel);
        if (!interrupted)
        {
            return FloppyStatus.InterruptTimeout;
        }
        // ST1 and ST2 flag every error (CRC, missing address mark, no data, overrun...); the terminal
        // count ends a good read with interrupt code 00 and both zero.
        if ((s_result[0] & St0InterruptCodeMask) != 0 || s_result[1] != 0 || s_result[2] != 0)
        {
            return FloppyStatus.ReadFailed;
        }
        return FloppyStatus.Ok;
    }

    private static bool SenseInterrupt(out byte st0, out byte cylinder)
    {
        cylinder = 0;
        st0 = 0;
        return SendByte(CommandSenseInterrupt) && ReadResultByte(out st0) && ReadResultByte(out cylinder);
    }

    /// <summary>Writes a command byte once MSR shows RQM with DIO = 0 (the controller expects input).</summary>
    private static bool SendByte(byte value)
    {
        if (!WaitForMainStatus(0))
        {
            return false;
        }
        Cpu.OutByte(Fifo, value);
        return true;
    }

    /// <summary>Reads a result byte once MSR shows RQM with DIO = 1 (the controller has output).</summary>
    private static bool ReadResultByte(out byte value)
    {
        value = 0;
        if (!WaitForMainStatus(MsrDataToCpu))
        {
            return false;
        }
        value = Cpu.InByte(Fifo);
        return true;
    }

    private static bool WaitForMainStatus(byte direction)
    {
        ulong deadline = Pit.Deadline(CommandTimeoutMs);
        while (true)
        {
            byte msr = Cpu.InByte(MainStatus);
            if ((msr & (MsrRequestForMaster | MsrDataToCpu)) == (MsrRequestForMaster | direction))
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
