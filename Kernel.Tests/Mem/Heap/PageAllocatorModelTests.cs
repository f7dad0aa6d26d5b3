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
/// Random sequences of page-allocator operations checked against a model that knows only the live
/// allocations: it derives the holes and the break from them and predicts where FOS's custom fit puts every
/// request, ties going to the lowest address; the allocator's own invariant check runs after every step.
/// </summary>
public sealed unsafe class PageAllocatorModelTests
{
    private const ulong AreaStart = 0x0000_6000_0000_0000;
    private const uint AreaPages = 96;
    private const ulong PageSize = MemConstants.PageSize;

    public enum OpKind
    {
        Allocate,
        Free,
        BadFree,
        Grow,
        Shrink,
        SetBudget,
    }

    public sealed class Op
    {
        public OpKind Kind;
        public int Size;
        public int Pick;

        public override string ToString() => $"{Kind}({Size},{Pick})";
    }

    private static Gen<Op> OpGen =>
        from kind in Gen.Frequency(
            (6, Gen.Constant(OpKind.Allocate)),
            (4, Gen.Constant(OpKind.Free)),
            (1, Gen.Constant(OpKind.BadFree)),
            (2, Gen.Constant(OpKind.Grow)),
            (1, Gen.Constant(OpKind.Shrink)),
            (1, Gen.Constant(OpKind.SetBudget)))
        from size in Gen.Choose(1, 12)
        from pick in Gen.Choose(0, 1 << 20)
        select new Op { Kind = kind, Size = size, Pick = pick };

    [Fact]
    public void Random_operations_follow_custom_fit_and_keep_the_accounting()
    {
        Arbitrary<Op[]> ops = Arb.From(Gen.ArrayOf(OpGen));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(150), Prop.ForAll(ops, Run));
    }

    private static bool Run(Op[] ops)
    {
        using var metadata = new HostRange(PageAllocator<RecordingBacking>.MetadataBytes(AreaPages));
        var log = new RecordingBacking.Log();
        var pages = new PageAllocator<RecordingBacking>(new RecordingBacking(log), AreaStart, AreaPages, (byte*)metadata.Start, metadata.Size);
        var live = new SortedDictionary<ulong, ulong>(); // first page -> page count
        var started = new HashSet<ulong>(); // every page an allocation has started at

        foreach (Op op in ops)
        {
            switch (op.Kind)
            {
                case OpKind.Allocate:
                    StepAllocate(pages, log, live, (ulong)op.Size);
                    started.UnionWith(live.Keys);
                    break;
                case OpKind.Free when live.Count > 0:
                {
                    ulong first = live.Keys.ElementAt(op.Pick % live.Count);
                    Expect(pages.Free(At(first)) == FreeStatus.Freed, "free of a live allocation");
                    live.Remove(first);
                    break;
                }
                case OpKind.BadFree:
                {
                    ulong address = AreaStart - PageSize + (ulong)op.Pick % ((AreaPages + 2) * PageSize);
                    // Half of them on a page boundary, where a start, a double free and a never-allocated page are told apart.
                    if (op.Size % 2 == 0)
                    {
                        address &= ~(PageSize - 1);
                    }
                    FreeStatus expected = Classify(live, started, address);
                    if (expected != FreeStatus.Freed)
                    {
                        Expect(pages.Free(address) == expected, "status of a bad free " + expected);
                    }
                    break;
                }
                case OpKind.Grow when live.Count > 0:
                {
                    ulong first = live.Keys.ElementAt(op.Pick % live.Count);
                    ulong count = live[first];
                    ulong extra = (ulong)op.Size;
                    ulong budget = log.Budget;
                    bool room = first + count + extra <= AreaPages
                        && !live.Any(a => a.Key < first + count + extra && a.Key + a.Value > first + count);
                    bool grew = pages.TryGrowInPlace(At(first), count + extra);
                    Expect(grew == (room && extra <= budget), "grow in place");
                    if (grew)
                    {
                        live[first] = count + extra;
                    }
                    break;
                }
                case OpKind.Shrink when live.Count > 0:
                {
                    ulong first = live.Keys.ElementAt(op.Pick % live.Count);
                    ulong count = live[first];
                    if (count > 1)
                    {
                        ulong smaller = 1 + (ulong)op.Size % (count - 1);
                        pages.ShrinkInPlace(At(first), smaller);
                        live[first] = smaller;
                    }
                    break;
                }
                case OpKind.SetBudget:
                    ulong committed = (ulong)log.Committed.Count;
                    log.Budget = op.Pick % 4 == 0 ? (ulong)op.Size : ulong.MaxValue / 2;
                    break;
            }
            CheckInvariants(pages, log, live);
        }

        foreach (ulong first in live.Keys.ToArray())
        {
            Expect(pages.Free(At(first)) == FreeStatus.Freed, "final free");
        }
        Expect(log.Committed.Count == 0, "every page decommitted");
        Expect(pages.Break == AreaStart && pages.HoleCount == 0, "empty heap has its break at the start");
        return true;
    }

    private static void StepAllocate(PageAllocator<RecordingBacking> pages, RecordingBacking.Log log, SortedDictionary<ulong, ulong> live, ulong count)
    {
        ulong? expected = FosPlacement(Holes(live, out ulong modelBreak), modelBreak, count);
        bool backed = count <= log.Budget;

        ulong address = pages.Allocate(count);

        if (expected == null || !backed)
        {
            Expect(address == 0, "allocation must fail");
            return;
        }
        Expect(address == At(expected.Value), "custom fit placement: want page " + expected.Value + ", got " + (address == 0 ? "none" : ((address - AreaStart) / PageSize).ToString()));
        live.Add(expected.Value, count);
    }

    /// <summary>
    /// FOS's custom fit as its address-ordered scan does it: the first hole of exactly <paramref name="count"/>
    /// pages; else the first hole of the largest size (a later one replaces the candidate only when strictly
    /// larger) if it is larger than the request; else the break if the limit allows; else none.
    /// </summary>
    private static ulong? FosPlacement(List<(ulong Start, ulong Size)> holesInAddressOrder, ulong modelBreak, ulong count)
    {
        (ulong Start, ulong Size)? worst = null;
        foreach ((ulong Start, ulong Size) hole in holesInAddressOrder)
        {
            if (hole.Size == count)
            {
                return hole.Start;
            }
            if (worst == null || hole.Size > worst.Value.Size)
            {
                worst = hole;
            }
        }
        if (worst != null && worst.Value.Size > count)
        {
            return worst.Value.Start;
        }
        return modelBreak + count <= AreaPages ? modelBreak : null;
    }

    private static void CheckInvariants(PageAllocator<RecordingBacking> pages, RecordingBacking.Log log, SortedDictionary<ulong, ulong> live)
    {
        Expect(pages.Verify(), "allocator invariants (tags, hole trees, counts)");
        List<(ulong Start, ulong Size)> holes = Holes(live, out ulong modelBreak);
        Expect(pages.Break == At(modelBreak), "break");
        Expect(pages.HoleCount == (ulong)holes.Count, "hole count");
        Expect(pages.BytesFree == (ulong)holes.Sum(h => (long)h.Size) * PageSize, "free bytes");
        Expect(pages.LargestHoleBytes == (holes.Count == 0 ? 0 : holes.Max(h => h.Size)) * PageSize, "largest hole");
        Expect(pages.PagesInUse == (ulong)live.Values.Sum(v => (long)v), "pages in use");
        Expect(log.Committed.Count == live.Values.Sum(v => (long)v), "committed pages");
        var walkedHoles = new List<(ulong Start, ulong Size)>();
        ulong cursor = 0;
        while (pages.NextHole(ref cursor, out ulong address, out ulong bytes))
        {
            walkedHoles.Add(((address - AreaStart) / PageSize, bytes / PageSize));
        }
        Expect(walkedHoles.SequenceEqual(holes), "hole walk matches the model's gaps");
        var walkedAllocations = new List<(ulong Start, ulong Size)>();
        cursor = 0;
        while (pages.NextAllocation(ref cursor, out ulong address, out ulong bytes))
        {
            walkedAllocations.Add(((address - AreaStart) / PageSize, bytes / PageSize));
        }
        Expect(walkedAllocations.SequenceEqual(live.Select(a => (a.Key, a.Value))), "allocation walk matches the model");
        foreach (KeyValuePair<ulong, ulong> a in live)
        {
            Expect(pages.AllocationPages(At(a.Key)) == a.Value, "allocation size");
            for (ulong p = 0; p < a.Value; p++)
            {
                Expect(log.Committed.Contains(At(a.Key + p)), "allocation pages committed");
            }
        }
    }

    private static List<(ulong Start, ulong Size)> Holes(SortedDictionary<ulong, ulong> live, out ulong modelBreak)
    {
        var holes = new List<(ulong, ulong)>();
        ulong cursor = 0;
        foreach (KeyValuePair<ulong, ulong> a in live)
        {
            if (a.Key > cursor)
            {
                holes.Add((cursor, a.Key - cursor));
            }
            cursor = a.Key + a.Value;
        }
        modelBreak = cursor;
        return holes;
    }

    private static FreeStatus Classify(SortedDictionary<ulong, ulong> live, HashSet<ulong> started, ulong address)
    {
        if (address < AreaStart || address >= At(AreaPages))
        {
            return FreeStatus.OutsideHeap;
        }
        ulong page = (address - AreaStart) / PageSize;
        bool inside = live.Any(a => page >= a.Key && page < a.Key + a.Value);
        if (address % PageSize != 0)
        {
            return inside ? FreeStatus.InsideAllocation : FreeStatus.Misaligned;
        }
        if (live.ContainsKey(page))
        {
            return FreeStatus.Freed;
        }
        if (inside)
        {
            return FreeStatus.InsideAllocation;
        }
        return started.Contains(page) ? FreeStatus.DoubleFree : FreeStatus.NeverAllocated;
    }

    private static ulong At(ulong page) => AreaStart + page * PageSize;

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }
}
