using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Kernel.Mem;
using Kernel.Mem.Pebble;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Pebble;

/// <summary>
/// Random allocate / free / realloc / bad-free / free-by-owner sequences on a machine whose RAM reaches above
/// 4 GiB, checked after every step against a model of the live pebbles: no two overlap (virtually or
/// physically), each keeps its contents, alignment, address limit and boundary hold on physical addresses,
/// contiguous pebbles are contiguous, the heap's invariants hold (merged free neighbours, counters), no empty
/// bucket is kept, and freeing everything returns every frame.
/// </summary>
public sealed unsafe class PebbleModelTests
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;
    private const ulong PageSize = MemConstants.PageSize;

    public enum OpKind
    {
        Allocate,
        Free,
        Reallocate,
        BadFree,
        FreeOwner,
    }

    public sealed class Op
    {
        public OpKind Kind;
        public ulong Size;
        public int AlignmentShift;
        public bool WithBoundary;
        public PebbleFlags Flags;
        public uint Owner;
        public int Pick;

        public override string ToString() => $"{Kind}({Size},a={AlignmentShift},b={WithBoundary},{Flags},o={Owner},{Pick})";
    }

    private static readonly PebbleFlags[] s_types =
    {
        PebbleFlags.None,
        PebbleFlags.Virtual | PebbleFlags.Below4GiB,
        PebbleFlags.Physical,
        PebbleFlags.Hardware32,
        PebbleFlags.Hardware64,
        PebbleFlags.Physical | PebbleFlags.Below16MiB,
        PebbleFlags.Physical | PebbleFlags.Below16MiB | PebbleFlags.BestFit,
        PebbleFlags.Virtual | PebbleFlags.Clear | PebbleFlags.BestFit,
    };

    private static Gen<ulong> SizeGen =>
        Gen.Frequency(
            (12, Gen.Choose(1, 2048).Select(s => (ulong)s)),
            (5, Gen.Choose(2049, 40 * 1024).Select(s => (ulong)s)),
            (1, Gen.Choose(40 * 1024, 700 * 1024).Select(s => (ulong)s)));

    private static Gen<Op> OpGen =>
        from kind in Gen.Frequency(
            (10, Gen.Constant(OpKind.Allocate)),
            (6, Gen.Constant(OpKind.Free)),
            (3, Gen.Constant(OpKind.Reallocate)),
            (2, Gen.Constant(OpKind.BadFree)),
            (1, Gen.Constant(OpKind.FreeOwner)))
        from size in SizeGen
        from alignmentShift in Gen.Frequency((6, Gen.Constant(0)), (3, Gen.Choose(6, 13)), (1, Gen.Choose(14, 20)))
        from withBoundary in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from flags in Gen.Elements(s_types)
        from owner in Gen.Choose(1, 3)
        from pick in Gen.Choose(0, 1 << 20)
        select new Op { Kind = kind, Size = size, AlignmentShift = alignmentShift, WithBoundary = withBoundary, Flags = flags, Owner = (uint)owner, Pick = pick };

    [Fact]
    public void Random_operations_keep_pebbles_apart_aligned_limited_contiguous_intact_and_leak_nothing()
    {
        Arbitrary<Op[]> ops = Arb.From(Gen.ArrayOf(OpGen));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60).WithEndSize(80), Prop.ForAll(ops, Run));
    }

    private sealed class Live
    {
        public ulong Size;
        public ulong Alignment;
        public ulong Boundary;
        public PebbleFlags Flags;
        public uint Owner;
        public byte Fill;
    }

    private static bool Run(Op[] ops)
    {
        using var machine = PebbleMachine.ThreeZones();
        var allocator = machine.Allocator;
        var live = new Dictionary<ulong, Live>();
        var freed = new List<ulong>();
        byte nextFill = 1;

        foreach (Op op in ops)
        {
            switch (op.Kind)
            {
                case OpKind.Allocate:
                {
                    ulong alignment = op.AlignmentShift == 0 ? 0 : 1UL << op.AlignmentShift;
                    ulong boundary = op.WithBoundary ? Math.Max(64 * KiB, RoundUpToPowerOf2(op.Size)) : 0;
                    ulong freeFrames = machine.Frames.FreeFrames;
                    byte* p = (byte*)allocator.Allocate(op.Size, alignment, boundary, op.Flags, "model", op.Owner);
                    if (p == null)
                    {
                        Expect(machine.Frames.FreeFrames == freeFrames, "a failed allocation takes no frame");
                        Expect((op.Flags & PebbleFlags.Physical) != 0 && op.Size + alignment > 3 * MiB, "only huge contiguous requests may fail");
                        break;
                    }
                    Expect(!live.ContainsKey((ulong)p), "address handed out twice");
                    if ((op.Flags & PebbleFlags.Clear) != 0)
                    {
                        Expect(new Span<byte>(p, (int)op.Size).IndexOfAnyExcept((byte)0) < 0, "a cleared pebble reads zero");
                    }
                    var entry = new Live { Size = op.Size, Alignment = alignment == 0 ? 64 : alignment, Boundary = boundary, Flags = op.Flags, Owner = op.Owner, Fill = nextFill++ };
                    live[(ulong)p] = entry;
                    new Span<byte>(p, (int)op.Size).Fill(entry.Fill);
                    break;
                }
                case OpKind.Free when live.Count > 0:
                {
                    ulong p = live.Keys.ElementAt(op.Pick % live.Count);
                    uint owner = live[p].Owner;
                    if (op.Owner != owner)
                    {
                        Expect(allocator.Free((void*)p, op.Owner) == PebbleStatus.NotOwner, "only the owner frees a pebble");
                        CheckAgainstModel(machine, live);
                    }
                    Expect(allocator.Free((void*)p, owner) == PebbleStatus.Ok, "free of a live pebble");
                    live.Remove(p);
                    freed.Add(p);
                    break;
                }
                case OpKind.Reallocate when live.Count > 0:
                {
                    ulong p = live.Keys.ElementAt(op.Pick % live.Count);
                    Live old = live[p];
                    ulong size = old.Boundary != 0 ? Math.Min(op.Size, old.Boundary) : op.Size;
                    if (op.Owner != old.Owner)
                    {
                        Expect(allocator.Reallocate((void*)p, size, op.Owner) == null, "only the owner reallocates a pebble");
                        CheckAgainstModel(machine, live);
                    }
                    byte* q = (byte*)allocator.Reallocate((void*)p, size, old.Owner);
                    if (q == null)
                    {
                        Expect((old.Flags & PebbleFlags.Physical) != 0 && size + old.Alignment > 3 * MiB, "only huge contiguous requests may fail");
                        Expect(allocator.Free((void*)p, old.Owner) == PebbleStatus.Ok, "a failed realloc keeps the original");
                        live.Remove(p);
                        break;
                    }
                    ulong kept = Math.Min(old.Size, size);
                    Expect(new Span<byte>(q, (int)kept).IndexOfAnyExcept(old.Fill) < 0, "realloc keeps the contents");
                    if ((old.Flags & PebbleFlags.Clear) != 0 && size > old.Size)
                    {
                        Expect(new Span<byte>(q + old.Size, (int)(size - old.Size)).IndexOfAnyExcept((byte)0) < 0, "a cleared pebble grows with zeros");
                    }
                    live.Remove(p);
                    if ((ulong)q != p)
                    {
                        freed.Add(p);
                    }
                    old.Size = size;
                    old.Fill = nextFill++;
                    live[(ulong)q] = old;
                    new Span<byte>(q, (int)size).Fill(old.Fill);
                    break;
                }
                case OpKind.BadFree:
                {
                    PebbleStatus status;
                    if (live.Count > 0 && op.Pick % 2 == 0)
                    {
                        ulong p = live.Keys.ElementAt(op.Pick % live.Count);
                        ulong interior = p + 64 * (ulong)(1 + op.Pick % 3);
                        status = allocator.Free((void*)interior, live.TryGetValue(interior, out Live there) ? there.Owner : op.Owner);
                        Expect(status is PebbleStatus.InvalidPointer or PebbleStatus.DoubleFree or PebbleStatus.ForeignPointer
                            || (status == PebbleStatus.Ok && live.ContainsKey(p + 64 * (ulong)(1 + op.Pick % 3))), "interior pointer refused");
                        if (status == PebbleStatus.Ok)
                        {
                            live.Remove(p + 64 * (ulong)(1 + op.Pick % 3));
                        }
                    }
                    else if (freed.Count > 0)
                    {
                        ulong p = freed[op.Pick % freed.Count];
                        if (!live.ContainsKey(p))
                        {
                            status = allocator.Free((void*)p, op.Owner);
                            Expect(status is PebbleStatus.DoubleFree or PebbleStatus.ForeignPointer or PebbleStatus.InvalidPointer, $"stale pointer refused, got {status}");
                        }
                    }
                    break;
                }
                case OpKind.FreeOwner:
                {
                    int expected = live.Values.Count(l => l.Owner == op.Owner);
                    Expect(allocator.FreeOwnedBy(op.Owner) == expected, "FreeOwnedBy frees exactly the owner's pebbles");
                    foreach (ulong p in live.Where(pair => pair.Value.Owner == op.Owner).Select(pair => pair.Key).ToList())
                    {
                        live.Remove(p);
                        freed.Add(p);
                    }
                    break;
                }
            }
            CheckAgainstModel(machine, live);
        }

        foreach (ulong p in live.Keys.ToList())
        {
            Expect(allocator.Free((void*)p, live[p].Owner) == PebbleStatus.Ok, "final free");
        }
        Expect(allocator.BucketCount == 0, "every bucket released");
        Expect(machine.Frames.FreeFrames == machine.BaselineFreeFrames, "every frame returned");
        Expect(machine.Frames.VerifyFreeLists(), "frame allocator consistent");
        return true;
    }

    private static void CheckAgainstModel(PebbleMachine<HostInterruptLock> machine, Dictionary<ulong, Live> live)
    {
        var allocator = machine.Allocator;
        Expect(allocator.Verify(), "heap invariants");
        PebbleStatistics statistics = allocator.GetStatistics();
        Expect(statistics.PebblesInUse == (ulong)live.Count, "pebble count");
        Expect(statistics.RequestedBytes == live.Values.Aggregate(0UL, (sum, l) => sum + l.Size), "requested bytes");
        foreach (BucketInfo bucket in machine.Buckets())
        {
            Expect(bucket.PebblesInUse > 0 || (bucket.Type & PebbleFlags.Persistent) != 0, "an empty bucket was kept");
        }

        var virtualRanges = new List<(ulong Start, ulong End)>();
        var physicalRanges = new List<(ulong Start, ulong End)>();
        foreach (var (pointer, entry) in live)
        {
            byte* p = (byte*)pointer;
            Expect(new Span<byte>(p, (int)entry.Size).IndexOfAnyExcept(entry.Fill) < 0, "contents intact");
            ulong physical = allocator.PhysicalAddress(p);
            ulong limit = Limit(entry.Flags);
            bool contiguous = (entry.Flags & PebbleFlags.Physical) != 0;
            virtualRanges.Add((pointer, pointer + entry.Size));
            if (contiguous)
            {
                Expect(physical % entry.Alignment == 0, "physical alignment");
                Expect(physical + entry.Size <= limit, "physical limit");
                Expect(allocator.PhysicalAddress(p + entry.Size - 1) == physical + entry.Size - 1, "physically contiguous");
                if (entry.Boundary != 0)
                {
                    Expect(physical / entry.Boundary == (physical + entry.Size - 1) / entry.Boundary, "boundary not crossed");
                }
                physicalRanges.Add((physical, physical + entry.Size));
            }
            else
            {
                Expect(pointer % entry.Alignment == 0, "virtual alignment");
                Expect(physical % Math.Min(entry.Alignment, PageSize) == 0, "alignment within the page");
                if (entry.Boundary != 0)
                {
                    Expect(pointer / entry.Boundary == (pointer + entry.Size - 1) / entry.Boundary, "boundary not crossed");
                }
                for (ulong page = MemConstants.AlignDown(pointer, PageSize); page < pointer + entry.Size; page += PageSize)
                {
                    ulong frame = allocator.PhysicalAddress((void*)Math.Max(page, pointer));
                    Expect(frame + 1 <= limit, "every frame under the limit");
                    physicalRanges.Add((frame, frame + Math.Min(PageSize - frame % PageSize, pointer + entry.Size - Math.Max(page, pointer))));
                }
            }
        }
        ExpectDisjoint(virtualRanges, "virtual overlap");
        ExpectDisjoint(physicalRanges, "physical overlap");
    }

    private static ulong Limit(PebbleFlags flags)
    {
        if ((flags & PebbleFlags.Below1MiB) != 0)
        {
            return MiB;
        }
        if ((flags & PebbleFlags.Below16MiB) != 0)
        {
            return 16 * MiB;
        }
        return (flags & PebbleFlags.Below4GiB) != 0 ? 4 * GiB : ulong.MaxValue;
    }

    private static void ExpectDisjoint(List<(ulong Start, ulong End)> ranges, string message)
    {
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (int i = 1; i < ranges.Count; i++)
        {
            Expect(ranges[i - 1].End <= ranges[i].Start, message);
        }
    }

    private static ulong RoundUpToPowerOf2(ulong value) => System.Numerics.BitOperations.RoundUpToPowerOf2(value);

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new Exception(message);
        }
    }
}
