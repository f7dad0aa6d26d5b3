using Kernel.Arch;
using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Memory;
using Kernel.Swap;

namespace Kernel.Shell.Commands;

/// <summary>
/// The page file's disk, size and counters; <c>pagefile test</c> writes patterns to a few slots of its own,
/// reads them back through a frame (above 4 GiB when there is memory there) and gives everything back,
/// timing one page write and read against a 4 KiB memset.
/// </summary>
internal sealed unsafe class PagefileCommand : ShellCommand
{
    private const ulong DefaultTestSlots = 8;
    private const ulong MaxTestSlots = 256;
    private const int MemsetRounds = 200;
    private const ulong PageSize = PageFileHeader.SlotSize;
    private const ulong WordsPerPage = PageSize / sizeof(ulong);
    private const byte Fill = 0xA5;
    private const ulong SlotMultiplier = 0x9E3779B97F4A7C15;
    private const ulong WordMultiplier = 0x100000001B3;
    private const ulong Above4GiB = 4UL << 30;

    public override string Name => "pagefile";

    public override string Arguments => "[test [SLOTS]]";

    public override string Summary => "the page file: disk, slots, counters; test writes and reads back a few slots";

    public override void Execute(CommandLine line)
    {
        if (line.Count == 1)
        {
            Show();
            return;
        }
        ulong slots = DefaultTestSlots;
        if (!line.WordIs(1, "test") || line.Count > 3 || line.Count == 3 && !line.TryParseNumber(2, out slots))
        {
            PrintUsage();
            return;
        }
        if (slots == 0 || slots > MaxTestSlots)
        {
            Console.Write("pagefile: SLOTS must be 1 to ");
            Console.WriteDecimal(MaxTestSlots);
            Console.WriteLine();
            return;
        }
        Test(slots);
    }

    private static void Show()
    {
        if (!PageFile.IsPresent)
        {
            PageFile.WriteAbsence();
            Console.WriteLine();
            WriteProbeTime();
            return;
        }
        PageFileHeader header = PageFile.Header;
        Console.Write("page file: ");
        PageFile.WriteDescription();
        Console.Write(", slot 0 at LBA ");
        Console.WriteDecimal(header.FirstSlotLba);
        Console.Write(", uuid ");
        WriteUuid(header.UuidLow, header.UuidHigh);
        Console.WriteLine();
        Console.Write("slots in use ");
        Console.WriteDecimal(PageFile.SlotsInUse);
        Console.Write(", free ");
        Console.WriteDecimal(PageFile.SlotCount - PageFile.SlotsInUse);
        Console.Write("; pages read ");
        Console.WriteDecimal(PageFile.Reads);
        Console.Write(", written ");
        Console.WriteDecimal(PageFile.Writes);
        Console.Write("; disk errors ");
        Console.WriteDecimal(PageFile.Errors);
        Console.Write(", retries ");
        Console.WriteDecimal(PageFile.Retries);
        Console.Write(", failures ");
        Console.WriteDecimal(PageFile.Failures);
        Console.Write("; refused frees ");
        Console.WriteDecimal(PageFile.RejectedFrees);
        Console.WriteLine();
        WriteProbeTime();
    }

    private static void WriteProbeTime()
    {
        Console.Write("boot probe (IDE controller, four positions, sector 0 of each disk): ");
        WriteMicroseconds(PageFile.ProbeCycles);
        Console.WriteLine();
    }

    /// <summary>
    /// The UUID's 16 bytes (low word first, little-endian) in the usual text form, as the image tool prints
    /// it: the first three groups are little-endian numbers, the last two bytes in order.
    /// </summary>
    private static void WriteUuid(ulong low, ulong high)
    {
        Console.WriteHexDigits((uint)low, 8);
        Console.Write('-');
        Console.WriteHexDigits((ushort)(low >> 32), 4);
        Console.Write('-');
        Console.WriteHexDigits((ushort)(low >> 48), 4);
        Console.Write('-');
        for (int i = 0; i < 8; i++)
        {
            if (i == 2)
            {
                Console.Write('-');
            }
            Console.WriteHexDigits((byte)(high >> (8 * i)), 2);
        }
    }

    private static void Test(ulong count)
    {
        if (!PageFile.IsPresent)
        {
            Console.WriteLine("pagefile: no page file");
            return;
        }
        if (!MemoryManager.Frames.Allocate(out ulong frame))
        {
            Console.WriteLine("pagefile test: no free frame");
            return;
        }
        ulong* page = (ulong*)PhysicalMemory.ToVirtual(frame);
        ulong* slots = (ulong*)MemoryManager.Heap.Allocate(count * sizeof(ulong));
        if (slots == null)
        {
            MemoryManager.Frames.Free(frame);
            Console.WriteLine("pagefile test: no kernel memory");
            return;
        }
        ulong taken = 0;
        while (taken < count && PageFile.TryAllocateSlot(out slots[taken]))
        {
            taken++;
        }
        ulong seed = Cpu.ReadTsc();
        ulong failures = 0;
        ulong bestWrite = ulong.MaxValue;
        ulong bestRead = ulong.MaxValue;
        for (ulong i = 0; i < taken; i++)
        {
            FillPattern(page, slots[i], seed);
            ulong start = Cpu.ReadTsc();
            PageFileStatus status = PageFile.Write(slots[i], frame);
            ulong cycles = Cpu.ReadTsc() - start;
            bestWrite = cycles < bestWrite ? cycles : bestWrite;
            failures += Report("write", slots[i], status);
        }
        ulong mismatches = 0;
        for (ulong i = 0; i < taken; i++)
        {
            System.Runtime.RuntimeExports.memset((byte*)page, Fill, (nuint)PageSize);
            ulong start = Cpu.ReadTsc();
            PageFileStatus status = PageFile.Read(slots[i], frame);
            ulong cycles = Cpu.ReadTsc() - start;
            bestRead = cycles < bestRead ? cycles : bestRead;
            if (Report("read", slots[i], status) != 0)
            {
                failures++;
                continue;
            }
            ulong bad = FirstMismatch(page, slots[i], seed);
            if (bad != WordsPerPage)
            {
                mismatches++;
                Console.Write("pagefile test: slot ");
                Console.WriteDecimal(slots[i]);
                Console.Write(" read back wrong at byte ");
                Console.WriteDecimal(bad * sizeof(ulong));
                Console.WriteLine();
            }
        }
        for (ulong i = 0; i < taken; i++)
        {
            PageFile.FreeSlot(slots[i]);
        }
        MemoryManager.Heap.Free(slots);
        ulong memset = MemsetCycles(page);
        MemoryManager.Frames.Free(frame);

        Console.Write("pagefile test: ");
        Console.WriteDecimal(taken);
        Console.Write(" slots through frame ");
        Console.WriteHex(frame);
        Console.Write(frame >= Above4GiB ? " (above 4 GiB): " : ": ");
        if (taken < count)
        {
            Console.Write("only ");
            Console.WriteDecimal(taken);
            Console.Write(" free slots, ");
        }
        Console.Write(failures == 0 && mismatches == 0 && taken == count ? "ok" : "FAILED");
        Console.Write(" (");
        Console.WriteDecimal(failures);
        Console.Write(" transfers failed, ");
        Console.WriteDecimal(mismatches);
        Console.WriteLine(" pages read back wrong)");
        if (taken != 0 && bestWrite != ulong.MaxValue)
        {
            Console.Write("one 4 KiB page: write ");
            WriteMicroseconds(bestWrite);
            Console.Write(", read ");
            WriteMicroseconds(bestRead);
            Console.Write("; 4 KiB memset ");
            Console.WriteDecimal(memset);
            Console.Write(" cycles: write ");
            Console.WriteDecimal(memset == 0 ? 0 : bestWrite / memset);
            Console.Write("x, read ");
            Console.WriteDecimal(memset == 0 ? 0 : bestRead / memset);
            Console.WriteLine("x the memset (best of each)");
        }
    }

    /// <summary>Prints a failed transfer and returns 1, or returns 0.</summary>
    private static ulong Report(string what, ulong slot, PageFileStatus status)
    {
        if (status == PageFileStatus.Ok)
        {
            return 0;
        }
        Console.Write("pagefile test: ");
        Console.Write(what);
        Console.Write(" of slot ");
        Console.WriteDecimal(slot);
        Console.Write(" failed: ");
        Console.Write(PageFile.Describe(status));
        if (status == PageFileStatus.DiskError)
        {
            Console.Write(" (");
            Console.Write(IdeCommand.StatusName(PageFile.LastDiskStatus));
            Console.Write(", after a retry)");
        }
        Console.WriteLine();
        return 1;
    }

    private static ulong Pattern(ulong slot, ulong seed, ulong word) => seed ^ (slot + 1) * SlotMultiplier ^ word * WordMultiplier;

    private static void FillPattern(ulong* page, ulong slot, ulong seed)
    {
        for (ulong w = 0; w < WordsPerPage; w++)
        {
            page[w] = Pattern(slot, seed, w);
        }
    }

    /// <summary>The index of the first word that differs from the slot's pattern, or <see cref="WordsPerPage"/>.</summary>
    private static ulong FirstMismatch(ulong* page, ulong slot, ulong seed)
    {
        for (ulong w = 0; w < WordsPerPage; w++)
        {
            if (page[w] != Pattern(slot, seed, w))
            {
                return w;
            }
        }
        return WordsPerPage;
    }

    private static ulong MemsetCycles(ulong* page)
    {
        ulong best = ulong.MaxValue;
        for (int i = 0; i < MemsetRounds; i++)
        {
            ulong start = Cpu.ReadTsc();
            System.Runtime.RuntimeExports.memset((byte*)page, i, (nuint)PageSize);
            ulong cycles = Cpu.ReadTsc() - start;
            best = cycles < best ? cycles : best;
        }
        return best;
    }

    private static void WriteMicroseconds(ulong cycles)
    {
        ulong perMs = Pit.TscPerMillisecond == 0 ? 1 : Pit.TscPerMillisecond;
        Console.WriteDecimal(cycles * 1000 / perMs);
        Console.Write(" us");
    }
}
