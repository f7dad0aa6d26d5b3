using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Pebble;
using Kernel.Memory;

namespace Kernel.Shell.Commands;

/// <summary>
/// The bucket/pebble allocator from the shell: <c>dma</c> dumps every bucket and pebble with its
/// type, virtual and physical ranges, size, name, owner and state; <c>dma alloc</c> and <c>dma free</c>
/// allocate and release device buffers by hand (owned by the shell, task id 1; the shell
/// frees only those, never a driver's).
/// </summary>
internal sealed unsafe class DmaCommand : ShellCommand
{
    public const uint ShellOwner = 1;
    private const int MaxListed = 48;

    public override string Name => "dma";

    public override string Arguments => "[alloc SIZE FLAGS [ALIGN [BOUNDARY]] | free ADDR]";

    public override string Summary => "bucket/pebble allocator: dump, allocate, free";

    public override void Execute(CommandLine line)
    {
        if (line.Count == 1)
        {
            Dump();
            return;
        }
        if (line.WordIs(1, "alloc") && line.Count >= 4 && line.Count <= 6 && line.TryParseNumber(2, out ulong size)
            && TryParseFlags(line, 3, out PebbleFlags flags))
        {
            ulong alignment = 0;
            ulong boundary = 0;
            if ((line.Count >= 5 && !line.TryParseNumber(4, out alignment)) || (line.Count == 6 && !line.TryParseNumber(5, out boundary)))
            {
                PrintUsage();
                return;
            }
            Allocate(size, alignment, boundary, flags);
            return;
        }
        if (line.WordIs(1, "free") && line.Count == 3 && line.TryParseNumber(2, out ulong address))
        {
            Free(address);
            return;
        }
        PrintUsage();
        Console.WriteLine("flags (comma-separated): virtual physical clear low1m low16m low4g anywhere aligned persistent bestfit hw32 hw64");
    }

    private static void Allocate(ulong size, ulong alignment, ulong boundary, PebbleFlags flags)
    {
        PebbleStatus status = MemoryManager.Pebbles.TryAllocate(size, alignment, boundary, flags, "shell", ShellOwner, out void* pebble);
        if (status != PebbleStatus.Ok)
        {
            Console.Write("dma alloc: ");
            Console.WriteLine(PebbleReport.Describe(status));
            if ((flags & PebbleFlags.Below1MiB) != 0)
            {
                // The issue's memory map reserves the whole first MiB (real-mode structures, firmware,
                // the boot stub), so no frame run below 1 MiB is ever free on this kernel.
                Console.WriteLine("  low1m: the first MiB is reserved by the kernel, so no buffer can be placed there");
            }
            return;
        }
        Console.Write("dma alloc: virtual ");
        Console.WriteHex((ulong)pebble);
        Console.Write(" physical ");
        Console.WriteHex(MemoryManager.Pebbles.PhysicalAddress(pebble));
        Console.Write(" size ");
        Console.WriteDecimal(size);
        Console.WriteLine();
        if ((flags & PebbleFlags.Physical) == 0)
        {
            Console.WriteLine("  (a virtual pebble: the physical address is its first page's; not contiguous)");
        }
    }

    /// <summary>Frees a pebble the shell allocated; a driver's buffer (any other owner's) is refused and named.</summary>
    private static void Free(ulong address)
    {
        PebbleStatus status = MemoryManager.Pebbles.Free((void*)address, ShellOwner);
        Console.Write("dma free ");
        Console.WriteHex(address);
        Console.Write(": ");
        if (status != PebbleStatus.NotOwner || !TryFindInUse(address, out PebbleInfo pebble))
        {
            Console.WriteLine(PebbleReport.Describe(status));
            return;
        }
        Console.Write("refused: owned by ");
        WriteOwnerAndName(pebble);
        Console.WriteLine(", not by the shell; only its owner frees it");
    }

    private static bool TryFindInUse(ulong address, out PebbleInfo found)
    {
        ulong cursor = 0;
        while (MemoryManager.Pebbles.NextPebble(ref cursor, out found))
        {
            if (found.VirtualStart == address && found.State == PebbleState.InUse)
            {
                return true;
            }
        }
        return false;
    }

    private static void WriteOwnerAndName(PebbleInfo pebble)
    {
        Console.Write("#");
        Console.WriteDecimal((ulong)pebble.Owner);
        Console.Write(" '");
        for (int i = 0; i < pebble.NameLength; i++)
        {
            Console.Write((char)pebble.NameByte(i));
        }
        Console.Write("'");
    }

    private static bool TryParseFlags(CommandLine line, int index, out PebbleFlags flags)
    {
        flags = PebbleFlags.None;
        int start = line.WordStart(index);
        int end = start + line.WordLength(index);
        char[] text = line.Buffer;
        while (start < end)
        {
            int stop = start;
            while (stop < end && text[stop] != ',')
            {
                stop++;
            }
            PebbleFlags flag = FlagNamed(line, start, stop - start);
            if (flag == PebbleFlags.None)
            {
                return false;
            }
            flags |= flag;
            start = stop + 1;
        }
        return flags != PebbleFlags.None;
    }

    private static PebbleFlags FlagNamed(CommandLine line, int start, int length)
    {
        if (line.RangeIs(start, length, "virtual")) { return PebbleFlags.Virtual; }
        if (line.RangeIs(start, length, "physical")) { return PebbleFlags.Physical; }
        if (line.RangeIs(start, length, "clear")) { return PebbleFlags.Clear; }
        if (line.RangeIs(start, length, "low1m")) { return PebbleFlags.Below1MiB; }
        if (line.RangeIs(start, length, "low16m")) { return PebbleFlags.Below16MiB; }
        if (line.RangeIs(start, length, "low4g")) { return PebbleFlags.Below4GiB; }
        if (line.RangeIs(start, length, "anywhere")) { return PebbleFlags.Anywhere; }
        if (line.RangeIs(start, length, "aligned")) { return PebbleFlags.Aligned; }
        if (line.RangeIs(start, length, "persistent")) { return PebbleFlags.Persistent; }
        if (line.RangeIs(start, length, "bestfit")) { return PebbleFlags.BestFit; }
        if (line.RangeIs(start, length, "hw32")) { return PebbleFlags.Hardware32; }
        if (line.RangeIs(start, length, "hw64")) { return PebbleFlags.Hardware64; }
        return PebbleFlags.None;
    }

    private static void Dump()
    {
        PebbleStatistics stats = MemoryManager.Pebbles.GetStatistics();
        Console.Write("buckets ");
        Console.WriteDecimal((ulong)stats.Buckets);
        Console.Write(" (");
        Console.WriteDecimal(stats.BucketBytes / MemConstants.KiB);
        Console.Write(" KiB), pebbles in use ");
        Console.WriteDecimal(stats.PebblesInUse);
        Console.Write(" (");
        Console.WriteDecimal(stats.RequestedBytes);
        Console.Write(" B requested), free ");
        Console.WriteDecimal(stats.FreePebbles);
        Console.Write(" (");
        Console.WriteDecimal(stats.FreeBytes);
        Console.WriteLine(" B)");
        Console.Write("headers ");
        Console.WriteDecimal(stats.HeaderBytes);
        Console.Write(" B; calls: ");
        Console.WriteDecimal(stats.Allocations);
        Console.Write(" alloc, ");
        Console.WriteDecimal(stats.Frees);
        Console.Write(" free, ");
        Console.WriteDecimal(stats.Reallocations);
        Console.Write(" realloc, ");
        Console.WriteDecimal(stats.FailedAllocations);
        Console.WriteLine(" failed");
        Console.Write("buckets created ");
        Console.WriteDecimal(stats.BucketsCreated);
        Console.Write(", released ");
        Console.WriteDecimal(stats.BucketsReleased);
        Console.Write("; rejected frees: ");
        Console.WriteDecimal(stats.DoubleFrees);
        Console.Write(" double, ");
        Console.WriteDecimal(stats.ForeignPointers + stats.InvalidPointers);
        Console.Write(" foreign/invalid, ");
        Console.WriteDecimal(stats.NotOwner);
        Console.WriteLine(" not the owner's");

        ulong bucketCursor = 0;
        while (MemoryManager.Pebbles.NextBucket(ref bucketCursor, out BucketInfo bucket))
        {
            Console.Write("bucket ");
            WriteType(bucket.Type);
            Console.Write(", ");
            Console.WriteDecimal(bucket.Pages);
            Console.Write(" pages, largest free ");
            Console.WriteDecimal(bucket.LargestFree);
            Console.WriteLine(" B");
            Console.Write("  virt ");
            Console.WriteHex(bucket.VirtualStart);
            Console.Write("-");
            Console.WriteHex(bucket.VirtualEnd - 1);
            Console.WriteLine();
            if (bucket.IsContiguous)
            {
                Console.Write("  phys ");
                Console.WriteHex(bucket.PhysicalStart);
                Console.Write("-");
                Console.WriteHex(bucket.PhysicalEnd - 1);
                Console.WriteLine();
            }
        }

        ulong cursor = 0;
        int listed = 0;
        while (MemoryManager.Pebbles.NextPebble(ref cursor, out PebbleInfo pebble))
        {
            if (listed++ >= MaxListed)
            {
                continue;
            }
            Console.Write(pebble.State == PebbleState.InUse ? "  used " : "  free ");
            // Fits in 80 columns: address 18, physical 24, size 13, owner and name.
            Console.WriteHex(pebble.VirtualStart);
            if (pebble.IsContiguous)
            {
                Console.Write(" phys ");
                Console.WriteHex(pebble.PhysicalStart);
            }
            Console.Write(" size ");
            Console.WriteDecimal(pebble.State == PebbleState.InUse ? pebble.Requested : pebble.Capacity, 7);
            if (pebble.State == PebbleState.InUse)
            {
                Console.Write(" ");
                WriteOwnerAndName(pebble);
            }
            Console.WriteLine();
        }
        if (listed > MaxListed)
        {
            Console.Write("  ... ");
            Console.WriteDecimal((ulong)(listed - MaxListed));
            Console.WriteLine(" more pebbles");
        }
    }

    private static void WriteType(PebbleFlags type)
    {
        Console.Write((type & PebbleFlags.Physical) != 0 ? "physical" : "virtual");
        if ((type & PebbleFlags.Below1MiB) != 0)
        {
            Console.Write(",low1m");
        }
        else if ((type & PebbleFlags.Below16MiB) != 0)
        {
            Console.Write(",low16m");
        }
        else if ((type & PebbleFlags.Below4GiB) != 0)
        {
            Console.Write(",low4g");
        }
        if ((type & PebbleFlags.Persistent) != 0)
        {
            Console.Write(",persistent");
        }
    }
}
