using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// Random sequences of reserve (allocate_user_mem), touch (a first-touch fault) and free (free_user_mem) over
/// a small window of the user heap, checked after every step against a dictionary page -> state: every
/// status, the counters, every entry the page tables hold (walked with <see cref="Mapper{TMem, TTlb}.NextEntry"/>),
/// what <see cref="Mapper{TMem, TTlb}.TryGetReservation"/> and <see cref="Mapper{TMem, TTlb}.Translate"/>
/// say of each page, and the frames the frame source has out. Frames run out at random: a reservation
/// then fails whole, a touch fails and leaves the page reserved.
/// </summary>
public sealed unsafe class UserHeapModelTests
{
    public enum OpKind
    {
        Reserve,
        Touch,
        Free,
    }

    private enum PageState
    {
        Reserved,
        Backed,
    }

    private const ulong Page = MemConstants.PageSize;

    private const ulong BackedFlags = PageTableEntry.PresentBit | PageTableEntry.WritableBit | PageTableEntry.UserBit
        | PageTableEntry.NoExecuteBit | PageTableEntry.UserHeapReservedBit;

    // A heap reached from an empty lower half takes a PDPT and a page directory above its page tables.
    private const int TablesAboveThePageTables = 2;

    // No limit on frames for this step.
    private const int Unlimited = -1;

    /// <summary>
    /// Two windows: eight pages across the boundary between the first two 2 MiB regions (two page tables),
    /// and the heap's last four pages.
    /// </summary>
    private static readonly ulong[] s_windowStarts = { UserLayout.HeapBase + MemConstants.LargePageSize - 4 * Page, UserLayout.HeapEnd - 4 * Page };
    private static readonly int[] s_windowPages = { 8, 4 };

    /// <summary>One step: pages [First, First + Count) of a window, or the one page First (touch, at Offset in it).</summary>
    public sealed record Op(OpKind Kind, int Window, int First, int Count, int Offset, int AllowedFrames)
    {
        public ulong Address => s_windowStarts[Window] + (ulong)First * Page;

        public ulong Size => (ulong)Count * Page;

        public override string ToString() =>
            $"{Kind}(0x{Address:x}, {Count} pages{(Kind == OpKind.Touch ? $" +{Offset}" : "")}{(AllowedFrames == Unlimited ? "" : $", {AllowedFrames} frames left")})";
    }

    private static readonly Gen<Op> s_op =
        from kind in Gen.Frequency((3, Gen.Constant(OpKind.Reserve)), (4, Gen.Constant(OpKind.Touch)), (2, Gen.Constant(OpKind.Free)))
        from window in Gen.Choose(0, s_windowStarts.Length - 1)
        from first in Gen.Choose(0, s_windowPages[window] - 1)
        from count in Gen.Frequency((1, Gen.Constant(0)), (12, Gen.Choose(1, s_windowPages[window] - first)))
        from offset in Gen.Elements(0, 1, 8, 2048, 4095)
        from allowed in Gen.Frequency((4, Gen.Constant(Unlimited)), (1, Gen.Choose(0, 3)))
        select new Op(kind, window, first, count, offset, allowed);

    [Fact]
    public void Random_reserve_touch_free_sequences_agree_with_a_page_state_model()
    {
        Arbitrary<Op[]> sequences = Arb.From(Gen.ArrayOf(s_op), ShrinkSequence);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(80), Prop.ForAll(sequences, RunAgainstModel));
    }

    private static IEnumerable<Op[]> ShrinkSequence(Op[] ops)
    {
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
        using var machine = new UserSpaceMachine();
        var pages = new SortedDictionary<ulong, PageState>();
        var frames = new Dictionary<ulong, ulong>();

        foreach (Op op in ops)
        {
            string before = machine.Snapshot();
            UserMemoryStatus expected = Predict(op, pages);
            if (op.AllowedFrames != Unlimited)
            {
                machine.Frames.AllowOnly(op.AllowedFrames);
            }
            ulong freed = 0;
            UserMemoryStatus actual = op.Kind switch
            {
                OpKind.Reserve => machine.Space.ReserveHeap(op.Address, op.Size),
                OpKind.Touch => machine.Space.BackReservedPage(op.Address + (ulong)op.Offset),
                _ => machine.Space.FreeHeap(op.Address, op.Size, out freed),
            };
            machine.Frames.Limit = null;

            Assert.True(expected == actual, $"{op}: expected {expected}, got {actual}");
            if (actual != UserMemoryStatus.Ok)
            {
                Assert.True(before == machine.Snapshot(), $"{op} failed with {actual} but changed the page tables");
            }
            else
            {
                Assert.Equal(ExpectedFramesFreed(op, pages), freed);
                Update(op, pages, frames, machine);
            }
            AssertAgrees(machine, pages, frames, op);
        }

        machine.Space.Destroy();
        Assert.Equal(0, machine.Held);
    }

    /// <summary>
    /// The status, as the mapper reaches it: page by page in address order, a page already there stops the
    /// reservation, and so does a page whose new tables cannot all be had.
    /// </summary>
    private static UserMemoryStatus Predict(Op op, SortedDictionary<ulong, PageState> pages)
    {
        if (op.Kind != OpKind.Touch && op.Count == 0)
        {
            return UserMemoryStatus.Empty;
        }
        switch (op.Kind)
        {
            case OpKind.Touch:
                if (!pages.TryGetValue(op.Address, out PageState state) || state != PageState.Reserved)
                {
                    return UserMemoryStatus.NotReserved;
                }
                return op.AllowedFrames == 0 ? UserMemoryStatus.OutOfMemory : UserMemoryStatus.Ok;
            case OpKind.Free:
                return UserMemoryStatus.Ok;
        }

        long left = op.AllowedFrames == Unlimited ? long.MaxValue : op.AllowedFrames;
        bool anyTable = pages.Count > 0;
        var regions = new HashSet<ulong>(pages.Keys.Select(RegionOf));
        for (ulong page = op.Address; page < op.Address + op.Size; page += Page)
        {
            if (pages.ContainsKey(page))
            {
                return UserMemoryStatus.AlreadyReserved;
            }
            int needed = (anyTable ? 0 : TablesAboveThePageTables) + (regions.Contains(RegionOf(page)) ? 0 : 1);
            if (left < needed)
            {
                return UserMemoryStatus.OutOfMemory;
            }
            left -= needed;
            anyTable = true;
            regions.Add(RegionOf(page));
        }
        return UserMemoryStatus.Ok;
    }

    private static ulong ExpectedFramesFreed(Op op, SortedDictionary<ulong, PageState> pages)
    {
        if (op.Kind != OpKind.Free)
        {
            return 0;
        }
        return (ulong)pages.Count(p => p.Key >= op.Address && p.Key < op.Address + op.Size && p.Value == PageState.Backed);
    }

    private static void Update(Op op, SortedDictionary<ulong, PageState> pages, Dictionary<ulong, ulong> frames, UserSpaceMachine machine)
    {
        switch (op.Kind)
        {
            case OpKind.Reserve:
                for (ulong page = op.Address; page < op.Address + op.Size; page += Page)
                {
                    pages[page] = PageState.Reserved;
                }
                break;
            case OpKind.Touch:
                pages[op.Address] = PageState.Backed;
                ulong frame = machine.FrameOf(op.Address);
                byte* bytes = machine.Bytes(frame);
                for (ulong i = 0; i < Page; i++)
                {
                    Assert.True(bytes[i] == 0, $"{op}: the new frame is not zeroed at {i}");
                }
                // A mark of the page's own, to see later that it kept its frame and its contents.
                *(ulong*)bytes = op.Address;
                frames[op.Address] = frame;
                break;
            default:
                for (ulong page = op.Address; page < op.Address + op.Size; page += Page)
                {
                    if (pages.Remove(page, out PageState state) && state == PageState.Backed)
                    {
                        Assert.False(machine.Frames.Owns(frames[page]), $"{op}: the frame of 0x{page:x} was not given back");
                        frames.Remove(page);
                    }
                }
                break;
        }
    }

    private static void AssertAgrees(UserSpaceMachine machine, SortedDictionary<ulong, PageState> pages, Dictionary<ulong, ulong> frames, Op op)
    {
        ulong backed = (ulong)pages.Count(p => p.Value == PageState.Backed);
        ulong tables = 1 + (pages.Count == 0 ? 0UL : TablesAboveThePageTables + (ulong)pages.Keys.Select(RegionOf).Distinct().Count());
        var space = machine.Space;
        Assert.True((ulong)pages.Count == space.HeapReservedPages, $"after {op}: {space.HeapReservedPages} pages reserved, the model has {pages.Count}");
        Assert.Equal(backed, space.HeapResidentPages);
        Assert.Equal(backed, space.ResidentPages);
        Assert.True(tables == space.TableFrames, $"after {op}: {space.TableFrames} table frames, the model needs {tables}");
        Assert.Equal((int)(tables + backed), machine.Held);

        // The page tables hold exactly the model's pages, in order, with exactly the model's entries.
        ulong cursor = UserLayout.HeapBase;
        using var expected = pages.GetEnumerator();
        while (space.Mapper.NextEntry(ref cursor, UserLayout.HeapEnd, out ulong page, out PageTableEntry entry))
        {
            Assert.True(expected.MoveNext(), $"after {op}: an entry at 0x{page:x} the model does not have");
            Assert.Equal(expected.Current.Key, page);
            if (expected.Current.Value == PageState.Reserved)
            {
                Assert.Equal(PageTableEntry.UserHeapReservedBit, entry.Value);
            }
            else
            {
                Assert.Equal(frames[page] | BackedFlags, entry.Value);
                Assert.True(machine.Frames.Owns(frames[page]));
                Assert.Equal(page, *(ulong*)machine.Bytes(frames[page]));
            }
        }
        Assert.False(expected.MoveNext(), $"after {op}: the model has a page the tables do not");

        for (int window = 0; window < s_windowStarts.Length; window++)
        {
            for (int i = 0; i < s_windowPages[window]; i++)
            {
                ulong page = s_windowStarts[window] + (ulong)i * Page;
                bool known = pages.TryGetValue(page, out PageState state);
                Assert.Equal(known && state == PageState.Reserved, space.Mapper.TryGetReservation(page, out _));
                Assert.Equal(known && state == PageState.Backed, space.Mapper.Translate(page + 9, out Translation translation) == PagingStatus.Success);
                if (known && state == PageState.Backed)
                {
                    Assert.Equal(frames[page] + 9, translation.PhysicalAddress);
                }
            }
        }
    }

    private static ulong RegionOf(ulong page) => page >> MemConstants.LargePageShift;
}
