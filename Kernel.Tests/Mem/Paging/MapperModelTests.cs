using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Paging;

/// <summary>
/// Random sequences of map, unmap, protect, reserve and unreserve, checked step by step against a plain
/// dictionary model: every status is predicted, every candidate address translates as the model says, the
/// number of page tables is what the live mappings need, every table's entry count is right, a failed step
/// changes nothing, and at the end tearing everything down returns every page-table frame.
/// </summary>
public class MapperModelTests
{
    public enum OpKind
    {
        Map,
        Unmap,
        Protect,
        Reserve,
        Unreserve,
    }

    /// <summary>One step. Addresses come from a small grid so that operations collide often.</summary>
    public sealed record Op(OpKind Kind, int Region, int Slot, int Page, PageSize Size, int Frame, PageFlags Flags)
    {
        public ulong VirtualAddress => Size == PageSize.Size2MiB
            ? SlotBase(Region, Slot)
            : SlotBase(Region, Slot) + (ulong)s_pages[Page] * MemConstants.PageSize;
    }

    private sealed record Mapping(ulong Physical, PageFlags Flags, PageSize Size);

    // Two lower-half regions in different PML4 entries (0 and 255) and one upper-half region (PML4 entry 256,
    // whose PDPT is shared and never released). Each holds two 2 MiB slots of one page directory.
    private static readonly ulong[] s_regions = { 0x0000_0000_4000_0000UL, 0x0000_7FFF_C000_0000UL, 0xFFFF_8000_4000_0000UL };
    private static readonly int[] s_pages = { 0, 1, 2, 511 };
    private const int Slots = 2;

    private static readonly PageFlags[] s_mapFlags =
    {
        PageFlags.None,
        PageFlags.Writable,
        PageFlags.Writable | PageFlags.NoExecute,
        PageFlags.User | PageFlags.Writable,
        PageFlags.User | PageFlags.NoExecute,
        PageFlags.Writable | PageFlags.Global,
        PageFlags.Writable | PageFlags.Accessed | PageFlags.Dirty,
        PageFlags.Writable | PageFlags.Pinned,
        PageFlags.Pat | PageFlags.CacheDisable,
    };

    private static readonly PageFlags[] s_protectFlags =
    {
        PageFlags.None,
        PageFlags.Writable,
        PageFlags.User,
        PageFlags.User | PageFlags.Writable | PageFlags.NoExecute,
        PageFlags.CacheDisable | PageFlags.Pat,
        PageFlags.Global | PageFlags.WriteThrough,
    };

    private static readonly PageFlags[] s_marks =
    {
        PageFlags.UserHeapReserved,
        PageFlags.Guard,
        PageFlags.UserHeapReserved | PageFlags.Guard,
    };

    private const PageFlags ProtectionFlags = PageFlags.Writable | PageFlags.User | PageFlags.WriteThrough
        | PageFlags.CacheDisable | PageFlags.Pat | PageFlags.Global | PageFlags.NoExecute;

    private static ulong SlotBase(int region, int slot) => s_regions[region] + (ulong)slot * MemConstants.LargePageSize;

    private static readonly Gen<Op> s_op =
        from kind in Gen.Frequency((3, Gen.Constant(OpKind.Map)), (2, Gen.Constant(OpKind.Unmap)), (1, Gen.Constant(OpKind.Protect)),
            (1, Gen.Constant(OpKind.Reserve)), (1, Gen.Constant(OpKind.Unreserve)))
        from region in Gen.Choose(0, s_regions.Length - 1)
        from slot in Gen.Choose(0, Slots - 1)
        from page in Gen.Choose(0, s_pages.Length - 1)
        from large in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from frame in Gen.Choose(0, 63)
        from mapFlags in Gen.Elements(s_mapFlags)
        from protectFlags in Gen.Elements(s_protectFlags)
        from marks in Gen.Elements(s_marks)
        select new Op(
            kind,
            region,
            slot,
            page,
            large && kind is OpKind.Map or OpKind.Unmap or OpKind.Protect ? PageSize.Size2MiB : PageSize.Size4KiB,
            frame,
            kind switch
            {
                OpKind.Map => mapFlags,
                OpKind.Protect => protectFlags,
                OpKind.Reserve => marks,
                _ => PageFlags.None,
            });

    [Fact]
    public void Random_operation_sequences_agree_with_a_dictionary_model()
    {
        Arbitrary<Op[]> sequences = Arb.From(Gen.ArrayOf(s_op), ShrinkSequence);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithEndSize(120), Prop.ForAll(sequences, RunAgainstModel));
    }

    private static IEnumerable<Op[]> ShrinkSequence(Op[] ops)
    {
        // Drop halves, then single steps: enough to get a failing run down to a handful of operations.
        if (ops.Length > 1)
        {
            yield return ops.Take(ops.Length / 2).ToArray();
            yield return ops.Skip(ops.Length / 2).ToArray();
        }
        for (int i = 0; i < ops.Length; i++)
        {
            yield return ops.Where((_, index) => index != i).ToArray();
        }
    }

    private static void RunAgainstModel(Op[] ops)
    {
        using PagingFixture machine = new PagingFixture();
        Dictionary<ulong, Mapping> mappings = new Dictionary<ulong, Mapping>();
        Dictionary<ulong, PageFlags> marks = new Dictionary<ulong, PageFlags>();
        HashSet<int> upperPdptCreated = new HashSet<int>();

        foreach (Op op in ops)
        {
            string before = machine.Snapshot();
            int invalidations = machine.Tlb.Pages.Count;
            PagingStatus expected = Predict(op, mappings, marks);

            PagingStatus actual = Apply(machine, op, out ulong unmapped);

            Assert.True(expected == actual, $"{op}: expected {expected}, got {actual}");
            if (actual == PagingStatus.Success)
            {
                Update(op, mappings, marks, unmapped);
                if (op.Kind == OpKind.Unmap)
                {
                    Assert.Equal(op.VirtualAddress, machine.Tlb.Pages[^1]);
                }
            }
            else
            {
                Assert.Equal(before, machine.Snapshot());
                Assert.Equal(invalidations, machine.Tlb.Pages.Count);
            }
            if (actual == PagingStatus.Success && VirtualAddressLayout.IsUpperHalf(op.VirtualAddress) && op.Kind is OpKind.Map or OpKind.Reserve)
            {
                upperPdptCreated.Add(op.Region);
            }
            AssertAgrees(machine, mappings, marks, upperPdptCreated.Count);
            Assert.True(machine.Mapper.VerifyEntryCounts(), $"{op}: entry counts");
        }

        // Tear down: what remains is the root and the shared upper-half PDPT, if one was ever created.
        foreach (KeyValuePair<ulong, Mapping> mapping in mappings)
        {
            Assert.Equal(PagingStatus.Success, machine.Mapper.Unmap(mapping.Key, mapping.Value.Size, out ulong physical));
            Assert.Equal(mapping.Value.Physical, physical);
        }
        foreach (ulong va in marks.Keys)
        {
            Assert.Equal(PagingStatus.Success, machine.Mapper.Unreserve(va));
        }
        Assert.Equal(1 + upperPdptCreated.Count, machine.Frames.Outstanding);
        Assert.Equal(0, machine.ReadTable(machine.Root).Take(VirtualAddressLayout.FirstUpperHalfPml4Index).Count(entry => entry != 0));
    }

    private static PagingStatus Apply(PagingFixture machine, Op op, out ulong unmapped)
    {
        unmapped = 0;
        ulong va = op.VirtualAddress;
        switch (op.Kind)
        {
            case OpKind.Map:
                return machine.Mapper.Map(va, FrameOf(op), op.Flags, op.Size);
            case OpKind.Unmap:
                return machine.Mapper.Unmap(va, op.Size, out unmapped);
            case OpKind.Protect:
                return machine.Mapper.Protect(va, op.Size, op.Flags);
            case OpKind.Reserve:
                return machine.Mapper.Reserve(va, op.Flags);
            default:
                return machine.Mapper.Unreserve(va);
        }
    }

    private static ulong FrameOf(Op op) => op.Size == PageSize.Size2MiB ? PagingFixture.LargeFrame(op.Frame) : PagingFixture.Frame(op.Frame);

    private static PagingStatus Predict(Op op, Dictionary<ulong, Mapping> mappings, Dictionary<ulong, PageFlags> marks)
    {
        ulong va = op.VirtualAddress;
        ulong slot = SlotBase(op.Region, op.Slot);
        bool upper = VirtualAddressLayout.IsUpperHalf(va);
        bool largeHere = mappings.TryGetValue(slot, out Mapping large) && large.Size == PageSize.Size2MiB;
        bool pageTableHere = HasPageTable(slot, mappings, marks);
        bool small = op.Size == PageSize.Size4KiB;

        switch (op.Kind)
        {
            case OpKind.Map:
                if ((op.Flags & PageFlags.User) != 0 && upper)
                {
                    return PagingStatus.InvalidFlags;
                }
                if (!small && (op.Flags & PageFlags.Pinned) != 0)
                {
                    return PagingStatus.InvalidFlags;
                }
                if (small)
                {
                    if (largeHere)
                    {
                        return PagingStatus.PageSizeConflict;
                    }
                    if (mappings.ContainsKey(va))
                    {
                        return PagingStatus.AlreadyMapped;
                    }
                    return marks.TryGetValue(va, out PageFlags m) && (m & PageFlags.Guard) != 0 ? PagingStatus.AlreadyReserved : PagingStatus.Success;
                }
                return largeHere ? PagingStatus.AlreadyMapped : pageTableHere ? PagingStatus.PageSizeConflict : PagingStatus.Success;

            case OpKind.Unmap:
            case OpKind.Protect:
                if (op.Kind == OpKind.Protect && (op.Flags & PageFlags.User) != 0 && upper)
                {
                    return PagingStatus.InvalidFlags;
                }
                if (small)
                {
                    return largeHere ? PagingStatus.PageSizeConflict : mappings.ContainsKey(va) ? PagingStatus.Success : PagingStatus.NotMapped;
                }
                return largeHere ? PagingStatus.Success : pageTableHere ? PagingStatus.PageSizeConflict : PagingStatus.NotMapped;

            case OpKind.Reserve:
                if ((op.Flags & PageFlags.UserHeapReserved) != 0 && upper)
                {
                    return PagingStatus.InvalidFlags;
                }
                if (largeHere)
                {
                    return PagingStatus.PageSizeConflict;
                }
                return mappings.ContainsKey(va) ? PagingStatus.AlreadyMapped : marks.ContainsKey(va) ? PagingStatus.AlreadyReserved : PagingStatus.Success;

            default:
                if (largeHere)
                {
                    return PagingStatus.PageSizeConflict;
                }
                return mappings.ContainsKey(va) ? PagingStatus.AlreadyMapped : marks.ContainsKey(va) ? PagingStatus.Success : PagingStatus.NotReserved;
        }
    }

    private static void Update(Op op, Dictionary<ulong, Mapping> mappings, Dictionary<ulong, PageFlags> marks, ulong unmapped)
    {
        ulong va = op.VirtualAddress;
        switch (op.Kind)
        {
            case OpKind.Map:
                mappings[va] = new Mapping(FrameOf(op), op.Flags, op.Size);
                break;
            case OpKind.Unmap:
                Assert.Equal(mappings[va].Physical, unmapped);
                mappings.Remove(va);
                break;
            case OpKind.Protect:
                Mapping old = mappings[va];
                mappings[va] = old with { Flags = (old.Flags & ~ProtectionFlags) | op.Flags };
                break;
            case OpKind.Reserve:
                marks[va] = op.Flags;
                break;
            default:
                marks.Remove(va);
                break;
        }
    }

    /// <summary>A page table exists under a 2 MiB slot exactly while a 4 KiB mapping or a mark lives in it.</summary>
    private static bool HasPageTable(ulong slot, Dictionary<ulong, Mapping> mappings, Dictionary<ulong, PageFlags> marks)
    {
        foreach (int page in s_pages)
        {
            ulong va = slot + (ulong)page * MemConstants.PageSize;
            if (marks.ContainsKey(va) || (mappings.TryGetValue(va, out Mapping m) && m.Size == PageSize.Size4KiB))
            {
                return true;
            }
        }
        return false;
    }

    private static void AssertAgrees(PagingFixture machine, Dictionary<ulong, Mapping> mappings, Dictionary<ulong, PageFlags> marks, int upperPdpts)
    {
        int expectedTables = upperPdpts;
        for (int region = 0; region < s_regions.Length; region++)
        {
            bool regionUsed = false;
            for (int slot = 0; slot < Slots; slot++)
            {
                ulong slotBase = SlotBase(region, slot);
                bool largeHere = mappings.TryGetValue(slotBase, out Mapping large) && large.Size == PageSize.Size2MiB;
                bool pageTable = HasPageTable(slotBase, mappings, marks);
                regionUsed |= largeHere || pageTable;
                expectedTables += pageTable ? 1 : 0;

                foreach (int page in s_pages)
                {
                    ulong va = slotBase + (ulong)page * MemConstants.PageSize;
                    const ulong Offset = 0x321;
                    PagingStatus status = machine.Mapper.Translate(va + Offset, out Translation translation);
                    if (largeHere)
                    {
                        Assert.Equal(PagingStatus.Success, status);
                        Assert.Equal(large.Physical + (va - slotBase) + Offset, translation.PhysicalAddress);
                        Assert.Equal(large.Flags, translation.Flags);
                        Assert.Equal(PageSize.Size2MiB, translation.Size);
                    }
                    else if (mappings.TryGetValue(va, out Mapping mapping))
                    {
                        PageFlags kept = marks.TryGetValue(va, out PageFlags m) ? m & PageFlags.UserHeapReserved : PageFlags.None;
                        Assert.Equal(PagingStatus.Success, status);
                        Assert.Equal(mapping.Physical + Offset, translation.PhysicalAddress);
                        Assert.Equal(mapping.Flags | kept, translation.Flags);
                        Assert.Equal(PageSize.Size4KiB, translation.Size);
                    }
                    else
                    {
                        Assert.Equal(PagingStatus.NotMapped, status);
                    }

                    bool reserved = machine.Mapper.TryGetReservation(va, out PageFlags actualMarks);
                    bool expectReserved = !mappings.ContainsKey(va) && marks.TryGetValue(va, out PageFlags expectedMarks) && expectedMarks != PageFlags.None;
                    Assert.Equal(expectReserved, reserved);
                    if (expectReserved)
                    {
                        Assert.Equal(marks[va], actualMarks);
                    }
                }
            }

            // A used region needs its page directory, and its PDPT unless it is the shared upper-half one.
            bool upper = VirtualAddressLayout.IsUpperHalf(s_regions[region]);
            expectedTables += regionUsed ? (upper ? 1 : 2) : 0;
        }
        Assert.Equal(1 + expectedTables, machine.Frames.Outstanding);
    }
}
