using Kernel.Arch;
using Kernel.Drivers;
using Kernel.Memory;

namespace Kernel.Shell.Commands;

/// <summary>
/// Reads the first floppy drive by ISA DMA. Every read takes its own DMA buffer (below 16 MiB, inside
/// one 64 KiB page) and gives it back afterwards, so a run of reads exercises the DMA allocator too.
/// </summary>
internal sealed unsafe class FdCommand : ShellCommand
{
    private const int DumpBytes = 64;
    private const ulong MaxBenchSectors = 100000;
    private const ulong KiB = 1024;

    public override string Name => "fd";

    public override string Arguments => "read LBA | bench SECTORS";

    public override string Summary => "floppy by ISA DMA: sector dump or timed run";

    public override void Execute(CommandLine line)
    {
        ulong value;
        if (line.Count != 3 || !line.TryParseNumber(2, out value))
        {
            PrintUsage();
            return;
        }
        if (line.WordIs(1, "read"))
        {
            if (value >= Floppy.SectorCount)
            {
                Console.Write("fd: LBA out of range (the disk has ");
                Console.WriteDecimal((ulong)Floppy.SectorCount);
                Console.WriteLine(" sectors)");
                return;
            }
            if (DescribeDrive())
            {
                ReadOne((uint)value);
                Floppy.MotorOff();
            }
        }
        else if (line.WordIs(1, "bench"))
        {
            if (value == 0 || value > MaxBenchSectors)
            {
                Console.Write("fd: SECTORS must be 1 to ");
                Console.WriteDecimal(MaxBenchSectors);
                Console.WriteLine();
                return;
            }
            if (DescribeDrive())
            {
                Bench(value);
                Floppy.MotorOff();
            }
        }
        else
        {
            PrintUsage();
        }
    }

    private static bool DescribeDrive()
    {
        FloppyStatus probe = Floppy.Probe();
        if (probe == FloppyStatus.NoDrive)
        {
            Console.WriteLine("fd: no floppy drive (CMOS register 0x10 reports none)");
            return false;
        }
        Console.Write("fd0: CMOS drive type ");
        Console.WriteDecimal((ulong)Floppy.DriveType);
        if (probe != FloppyStatus.Ok)
        {
            Console.WriteLine(": not a 3.5\" 1.44 MB drive, not supported");
            return false;
        }
        Console.WriteLine(" (3.5\" 1.44 MB: 80 cylinders, 2 heads, 18 sectors per track)");
        return true;
    }

    private static DmaBuffer AllocateSectorBuffer()
        => DmaBuffers.Allocate(Floppy.SectorSize, Floppy.SectorSize, IsaDma.PageSize, DmaConstraint.Below16MiB, "floppy");

    private static void ReadOne(uint lba)
    {
        DmaBuffer buffer = AllocateSectorBuffer();
        if (!buffer.IsValid)
        {
            Console.WriteLine("fd: no DMA buffer below 16 MiB");
            return;
        }
        // Junk first, so a transfer that never landed shows as 0xa5 rather than as stale data.
        System.Runtime.RuntimeExports.memset(buffer.Virtual, 0xA5, (nuint)buffer.Size);
        FloppyStatus status = Floppy.Read(lba, buffer);
        Console.Write("read LBA ");
        Console.WriteDecimal((ulong)lba);
        Console.Write(" (C ");
        Console.WriteDecimal((ulong)(lba / (Floppy.Heads * Floppy.SectorsPerTrack)));
        Console.Write(" H ");
        Console.WriteDecimal((ulong)(lba / Floppy.SectorsPerTrack % Floppy.Heads));
        Console.Write(" S ");
        Console.WriteDecimal((ulong)(lba % Floppy.SectorsPerTrack + 1));
        Console.Write("): buffer ");
        Console.WriteHex(buffer.Physical);
        Console.Write(" (");
        Console.WriteDecimal(buffer.Size);
        Console.WriteLine(" B, ISA DMA channel 2)");
        if (status == FloppyStatus.Ok)
        {
            HexDump.Write(buffer.Virtual, DumpBytes);
        }
        else
        {
            WriteFailure(status);
        }
        DmaBuffers.Free(buffer);
    }

    /// <summary>
    /// Reads <paramref name="sectors"/> sectors from LBA 0 on (wrapping at the end of the disk), one DMA
    /// buffer per read; prints the time, the rate, the buffers' address range and an FNV-1a of the data.
    /// </summary>
    private static void Bench(ulong sectors)
    {
        uint hash = Fnv1a.OffsetBasis;
        ulong lowest = ulong.MaxValue;
        ulong highest = 0;
        ulong violations = 0;
        ulong start = Cpu.ReadTsc();
        for (ulong i = 0; i < sectors; i++)
        {
            DmaBuffer buffer = AllocateSectorBuffer();
            if (!buffer.IsValid)
            {
                Console.WriteLine("fd: no DMA buffer below 16 MiB");
                return;
            }
            ulong end = buffer.Physical + Floppy.SectorSize;
            if (end > IsaDma.AddressLimit || buffer.Physical / IsaDma.PageSize != (end - 1) / IsaDma.PageSize)
            {
                violations++;
            }
            lowest = buffer.Physical < lowest ? buffer.Physical : lowest;
            highest = end > highest ? end : highest;
            FloppyStatus status = Floppy.Read((uint)(i % Floppy.SectorCount), buffer);
            if (status != FloppyStatus.Ok)
            {
                Console.Write("fd: sector ");
                Console.WriteDecimal(i % Floppy.SectorCount);
                Console.Write(": ");
                WriteFailure(status);
                DmaBuffers.Free(buffer);
                return;
            }
            hash = Fnv1a.Append(hash, buffer.Virtual, Floppy.SectorSize);
            DmaBuffers.Free(buffer);
        }
        ulong cycles = Cpu.ReadTsc() - start;
        ulong perMs = Pit.TscPerMillisecond == 0 ? 1 : Pit.TscPerMillisecond;
        ulong microseconds = cycles * 1000 / perMs;
        Console.Write("fd bench: ");
        Console.WriteDecimal(sectors);
        Console.Write(" sectors in ");
        Console.WriteDecimal(microseconds / 1000);
        Console.Write(" ms, ");
        Console.WriteDecimal(microseconds == 0 ? 0 : sectors * Floppy.SectorSize * 1000000 / KiB / microseconds);
        Console.Write(" KiB/s, fnv1a ");
        Console.WriteHex(hash, 8);
        Console.WriteLine();
        Console.Write("buffers: ");
        Console.WriteHex(lowest);
        Console.Write("-");
        Console.WriteHex(highest);
        Console.Write(", ");
        Console.WriteDecimal(violations);
        Console.Write(" outside 16 MiB or across 64 KiB; retries ");
        Console.WriteDecimal(Floppy.Retries);
        Console.WriteLine();
    }

    private static void WriteFailure(FloppyStatus status)
    {
        Console.Write("fd: read failed: ");
        Console.Write(StatusName(status));
        Console.Write(" (ST0 ");
        Console.WriteHex(Floppy.LastSt0, 2);
        Console.Write(" ST1 ");
        Console.WriteHex(Floppy.LastSt1, 2);
        Console.Write(" ST2 ");
        Console.WriteHex(Floppy.LastSt2, 2);
        Console.WriteLine(")");
    }

    private static string StatusName(FloppyStatus status)
    {
        switch (status)
        {
            case FloppyStatus.Ok: return "ok";
            case FloppyStatus.NoDrive: return "no drive";
            case FloppyStatus.UnsupportedDrive: return "unsupported drive type";
            case FloppyStatus.ControllerTimeout: return "controller not ready (MSR timeout)";
            case FloppyStatus.InterruptTimeout: return "no IRQ 6 in time";
            case FloppyStatus.SeekFailed: return "seek failed";
            case FloppyStatus.ReadFailed: return "READ DATA reported an error";
            case FloppyStatus.OutOfRange: return "LBA out of range";
            default: return "unusable DMA buffer";
        }
    }
}
