using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// Random allocate / free / reallocate / bad-free sequences, with frames running out at random moments,
/// run on the kernel heap over the emulated machine and checked after every step against a reference model
/// that holds the live allocations, their sizes and the byte each one is filled with.
/// </summary>
public sealed unsafe class KernelHeapModelTests
{
    private const ulong PageSize = MemConstants.PageSize;

    public enum OpKind
    {
        Allocate,
        Free,
        Reallocate,
        BadFree,
        LimitFrames,
    }

    public sealed class Op
    {
        public OpKind Kind;
        public ulong Size;
        public int Pick;

        public override string ToString() => $"{Kind}({Size},{Pick})";
    }

    private static readonly ulong[] s_edgeSizes =
    {
        0, 1, 7, 8, 9, 2047, 2048, 2049, PageSize - 1, PageSize, PageSize + 1, 3 * PageSize, 64 * PageSize, ulong.MaxValue,
    };

    private static Gen<ulong> SizeGen =>
        Gen.Frequency(
            (14, Gen.Choose(1, 2048).Select(s => (ulong)s)),
            (4, Gen.Choose(2049, 5 * (int)PageSize).Select(s => (ulong)s)),
            (2, Gen.Elements(s_edgeSizes)));

    private static Gen<Op> OpGen =>
        from kind in Gen.Frequency(
            (8, Gen.Constant(OpKind.Allocate)),
            (5, Gen.Constant(OpKind.Free)),
            (3, Gen.Constant(OpKind.Reallocate)),
            (2, Gen.Constant(OpKind.BadFree)),
            (1, Gen.Constant(OpKind.LimitFrames)))
        from size in SizeGen
        from pick in Gen.Choose(0, 1 << 20)
        select new Op { Kind = kind, Size = size, Pick = pick };

    [Fact]
    public void Random_operations_keep_blocks_apart_aligned_intact_and_accounted_and_leak_nothing()
    {
        Arbitrary<Op[]> ops = Arb.From(Gen.ArrayOf(OpGen));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(150).WithEndSize(200), Prop.ForAll(ops, Run));
    }

    private sealed class Live
    {
        public ulong Size;
        public byte Fill;
    }

    private static bool Run(Op[] ops)
    {
        using var machine = new HeapMachine(heapSize: 2 * MemConstants.MiB, blockAreaSize: 256 * MemConstants.KiB, frameCount: 1024);
        var heap = machine.Heap;
        var live = new Dictionary<ulong, Live>();
        var freed = new List<ulong>();
        byte nextFill = 1;

        foreach (Op op in ops)
        {
            switch (op.Kind)
            {
                case OpKind.Allocate:
                {
                    int outstanding = machine.Frames.Outstanding;
                    byte* p = (byte*)heap.Allocate(op.Size);
                    if (p == null)
                    {
                        Expect(machine.Frames.Outstanding == outstanding, "a failed allocation takes no frame");
                        break;
                    }
                    Expect(op.Size != 0 && op.Size <= machine.Layout.PageAreaSize, "allocation of an impossible size");
                    Expect(!live.ContainsKey((ulong)p), "address handed out twice");
                    live[(ulong)p] = new Live { Size = op.Size, Fill = nextFill };
                    new Span<byte>(p, (int)op.Size).Fill(nextFill++);
                    break;
                }
                case OpKind.Free when live.Count > 0:
                {
                    ulong p = live.Keys.ElementAt(op.Pick % live.Count);
                    Expect(heap.Free((void*)p) == FreeStatus.Freed, "free of a live allocation");
                    live.Remove(p);
                    freed.Add(p);
                    break;
                }
                case OpKind.Reallocate when live.Count > 0:
                {
                    ulong p = live.Keys.ElementAt(op.Pick % live.Count);
                    Live old = live[p];
                    int outstanding = machine.Frames.Outstanding;
                    byte* q = (byte*)heap.Reallocate((void*)p, op.Size);
                    if (op.Size == 0)
                    {
                        Expect(q == null, "reallocate to 0 frees");
                        live.Remove(p);
                        freed.Add(p);
                        break;
                    }
                    if (q == null)
                    {
                        Expect(machine.Frames.Outstanding == outstanding, "a failed reallocation takes no frame");
                        break;
                    }
                    ulong kept = Math.Min(old.Size, op.Size);
                    Expect(new Span<byte>(q, (int)kept).IndexOfAnyExcept(old.Fill) < 0, "reallocation keeps the contents");
                    live.Remove(p);
                    if ((ulong)q != p)
                    {
                        freed.Add(p);
                    }
                    live[(ulong)q] = new Live { Size = op.Size, Fill = nextFill };
                    new Span<byte>(q, (int)op.Size).Fill(nextFill++);
                    break;
                }
                case OpKind.BadFree:
                    BadFree(machine, live, freed, op.Pick);
                    break;
                case OpKind.LimitFrames:
                    if (op.Pick % 3 == 0)
                    {
                        machine.Frames.AllowOnly(op.Pick % 7);
                    }
                    else
                    {
                        machine.Frames.Limit = null;
                    }
                    break;
            }
            if (nextFill == 0)
            {
                nextFill = 1;
            }
            CheckInvariants(machine, live);
        }

        foreach (ulong p in live.Keys.ToArray())
        {
            Expect(heap.Free((void*)p) == FreeStatus.Freed, "final free");
        }
        HeapStatistics empty = heap.GetStatistics();
        Expect(machine.Frames.Outstanding == machine.BaselineFrames, "freeing everything returns every frame");
        Expect(empty.Frames == 0 && empty.BlockBytesInUse == 0 && empty.PageBytesInUse == 0 && empty.HoleCount == 0, "empty heap accounting");
        Expect(empty.Break == machine.Layout.PageAreaStart, "the break is back at the start");
        return true;
    }

    private static void BadFree(HeapMachine machine, Dictionary<ulong, Live> live, List<ulong> freed, int pick)
    {
        var heap = machine.Heap;
        ulong address;
        FreeStatus[] allowed;
        switch (pick % 3)
        {
            case 0 when live.Count > 0:
            {
                ulong p = live.Keys.ElementAt(pick / 3 % live.Count);
                address = p + 1 + (ulong)(pick / 7) % (heap.UsableSize((void*)p) - 1);
                allowed = new[] { FreeStatus.InsideAllocation };
                break;
            }
            case 1 when freed.Count > 0:
            {
                address = freed[pick / 3 % freed.Count];
                if (live.ContainsKey(address))
                {
                    return;
                }
                bool inside = live.Any(a => address > a.Key && address < a.Key + heap.UsableSize((void*)a.Key));
                // A page allocation's start stays a double free; a block's page may have been carved again for
                // another class since, and then the block is off its boundaries or past its carving.
                allowed = inside
                    ? new[] { FreeStatus.InsideAllocation }
                    : address >= machine.Layout.PageAreaStart
                        ? new[] { FreeStatus.DoubleFree }
                        : new[] { FreeStatus.DoubleFree, FreeStatus.Misaligned, FreeStatus.NotAllocated };
                break;
            }
            default:
                address = pick % 2 == 0 ? machine.Layout.GuardPage + (ulong)pick % PageSize : machine.Layout.End + (ulong)pick;
                allowed = new[] { FreeStatus.OutsideHeap };
                break;
        }
        HeapStatistics before = heap.GetStatistics();
        int outstanding = machine.Frames.Outstanding;

        FreeStatus status = heap.Free((void*)address);

        HeapStatistics after = heap.GetStatistics();
        Expect(allowed.Contains(status), "bad free verdict " + status);
        Expect(after.BadFrees == before.BadFrees + 1, "bad free counted");
        Expect(machine.Frames.Outstanding == outstanding, "bad free keeps the frames");
        Expect(after.BlockBytesInUse == before.BlockBytesInUse && after.BlockBytesFree == before.BlockBytesFree
            && after.PagesInUse == before.PagesInUse && after.HoleCount == before.HoleCount && after.Break == before.Break,
            "bad free changes nothing");
    }

    private static void CheckInvariants(HeapMachine machine, Dictionary<ulong, Live> live)
    {
        var heap = machine.Heap;
        KernelHeapLayout layout = machine.Layout;
        ulong blockBytes = 0;
        ulong pageBytes = 0;
        var ranges = new List<(ulong Start, ulong End)>();
        foreach (KeyValuePair<ulong, Live> a in live)
        {
            ulong p = a.Key;
            ulong usable = heap.UsableSize((void*)p);
            Expect(usable >= a.Value.Size, "usable size covers the request");
            bool block = p >= layout.BlockAreaStart && p + usable <= layout.BlockAreaStart + layout.BlockAreaSize;
            bool pages = p >= layout.PageAreaStart && p + usable <= layout.End;
            Expect(block || pages, "allocation inside its area");
            Expect(block ? p % usable == 0 : p % PageSize == 0, "alignment");
            if (block)
            {
                blockBytes += usable;
            }
            else
            {
                pageBytes += usable;
            }
            ranges.Add((p, p + usable));
            Expect(new Span<byte>((void*)p, (int)a.Value.Size).IndexOfAnyExcept(a.Value.Fill) < 0, "contents kept");
            ulong physical = heap.PhysicalAddress(p + usable - 1);
            Expect(physical != 0 && heap.VirtualAddress(physical) == p + usable - 1, "translations round-trip");
        }
        ranges.Sort();
        for (int i = 1; i < ranges.Count; i++)
        {
            Expect(ranges[i - 1].End <= ranges[i].Start, "allocations overlap");
        }
        HeapStatistics stats = heap.GetStatistics();
        Expect(stats.BlockBytesInUse == blockBytes, "block bytes in use");
        Expect(stats.PageBytesInUse == pageBytes, "page bytes in use");
        Expect(stats.BlockBytesInUse + stats.BlockBytesFree == stats.BlockPages * PageSize, "block pages add up");
        Expect(stats.Frames == stats.BlockPages + stats.PagesInUse, "frames add up");
        Expect(stats.PageBytesInUse + stats.PageBytesFree == stats.Break - layout.PageAreaStart, "page area below the break adds up");
        Expect(machine.Frames.Outstanding >= machine.BaselineFrames + (int)stats.Frames, "frames outstanding");
        Expect(heap.Verify(), "the allocators' own invariants");
        CheckIntrospection(machine, live, stats);
    }

    /// <summary>
    /// The walks and per-class figures agree with the model: the holes are exactly the gaps between the
    /// model's page allocations below the break, the walked allocations are the model's, and each class
    /// holds as many blocks in use as the model has live blocks of its size.
    /// </summary>
    private static void CheckIntrospection(HeapMachine machine, Dictionary<ulong, Live> live, HeapStatistics stats)
    {
        var heap = machine.Heap;
        KernelHeapLayout layout = machine.Layout;
        var modelPages = new List<(ulong Address, ulong Bytes)>();
        var blocksOfClass = new ulong[KernelHeap<Kernel.Tests.Emulation.EmulatedRam.Accessor, Kernel.Tests.Emulation.RecordingTlb>.BlockClassCount];
        foreach (ulong p in live.Keys)
        {
            ulong usable = heap.UsableSize((void*)p);
            if (p >= layout.PageAreaStart)
            {
                modelPages.Add((p, usable));
            }
            else
            {
                blocksOfClass[System.Numerics.BitOperations.Log2(usable) - 3]++;
            }
        }
        modelPages.Sort();
        var modelHoles = new List<(ulong Address, ulong Bytes)>();
        ulong end = layout.PageAreaStart;
        foreach ((ulong address, ulong bytes) in modelPages)
        {
            if (address > end)
            {
                modelHoles.Add((end, address - end));
            }
            end = address + bytes;
        }
        Expect(end == stats.Break, "the model's break");

        var holes = new List<(ulong Address, ulong Bytes)>();
        ulong cursor = 0;
        while (heap.NextHole(ref cursor, out ulong hole, out ulong holeBytes))
        {
            holes.Add((hole, holeBytes));
        }
        Expect(holes.SequenceEqual(modelHoles), "hole walk matches the model's gaps");
        Expect((ulong)holes.Count == stats.HoleCount, "hole walk count");
        Expect(holes.Aggregate(0UL, (sum, h) => sum + h.Bytes) == stats.PageBytesFree, "hole walk bytes");
        Expect(holes.Aggregate(0UL, (max, h) => Math.Max(max, h.Bytes)) == stats.LargestHoleBytes, "hole walk largest");

        var allocations = new List<(ulong Address, ulong Bytes)>();
        cursor = 0;
        while (heap.NextPageAllocation(ref cursor, out ulong allocation, out ulong allocationBytes))
        {
            allocations.Add((allocation, allocationBytes));
        }
        Expect(allocations.SequenceEqual(modelPages), "page allocation walk matches the model");

        ulong pages = 0;
        ulong bytesFree = 0;
        ulong bytesInUse = 0;
        for (int i = 0; i < blocksOfClass.Length; i++)
        {
            BlockClassStatistics c = heap.GetClassStatistics(i);
            Expect(c.BlocksInUse == blocksOfClass[i], "blocks in use of class " + i);
            Expect(c.FreeBlocks + c.BlocksInUse == c.Pages * c.BlocksPerPage, "pages of class " + i + " add up");
            pages += c.Pages;
            bytesFree += c.BytesFree;
            bytesInUse += c.BytesInUse;
        }
        Expect(pages == stats.BlockPages, "class pages sum to the block pages");
        Expect(bytesFree == stats.BlockBytesFree, "class free blocks sum to the free block bytes");
        Expect(bytesInUse == stats.BlockBytesInUse, "class blocks in use sum to the block bytes in use");
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }
}
