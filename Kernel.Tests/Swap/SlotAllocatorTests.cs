using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Kernel.Swap;
using Xunit;

namespace Kernel.Tests.Swap;

/// <summary>
/// The page file's slot allocator (Kernel/Swap/SlotAllocator.cs): no slot is handed out twice, frees are
/// counted, a double free or a slot out of range is refused and changes nothing, and exhaustion answers false.
/// </summary>
public sealed class SlotAllocatorTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(63UL)]
    [InlineData(64UL)]
    [InlineData(65UL)]
    [InlineData(1000UL)]
    public void Every_slot_is_handed_out_once_and_then_allocation_fails(ulong count)
    {
        var slots = new SlotAllocator(count);
        var seen = new HashSet<ulong>();
        for (ulong i = 0; i < count; i++)
        {
            Assert.True(slots.TryAllocate(out ulong slot));
            Assert.True(slot < count, $"slot {slot} of {count}");
            Assert.True(seen.Add(slot), $"slot {slot} handed out twice");
        }
        Assert.False(slots.TryAllocate(out _));
        Assert.Equal(count, slots.InUse);
        Assert.Equal(0UL, slots.Free);
    }

    [Fact]
    public void A_freed_slot_is_handed_out_again_when_it_is_the_only_one()
    {
        var slots = new SlotAllocator(130);
        for (int i = 0; i < 130; i++)
        {
            slots.TryAllocate(out _);
        }
        Assert.Equal(SlotFreeStatus.Ok, slots.Release(77));
        Assert.True(slots.TryAllocate(out ulong again));
        Assert.Equal(77UL, again);
        Assert.False(slots.TryAllocate(out _));
    }

    [Fact]
    public void A_double_free_is_refused_and_counted_and_changes_nothing()
    {
        var slots = new SlotAllocator(10);
        slots.TryAllocate(out ulong slot);
        slots.TryAllocate(out ulong other);
        Assert.Equal(SlotFreeStatus.Ok, slots.Release(slot));
        Assert.Equal(SlotFreeStatus.NotAllocated, slots.Release(slot));
        Assert.Equal(SlotFreeStatus.NotAllocated, slots.Release(9));
        Assert.Equal(1UL, slots.InUse);
        Assert.True(slots.IsAllocated(other));
        Assert.Equal(1UL, slots.Frees);
        Assert.Equal(2UL, slots.RejectedFrees);
    }

    [Fact]
    public void Slots_out_of_range_are_refused_including_the_padding_bits_of_the_last_word()
    {
        var slots = new SlotAllocator(70);
        Assert.Equal(SlotFreeStatus.OutOfRange, slots.Release(70));
        Assert.Equal(SlotFreeStatus.OutOfRange, slots.Release(127));
        Assert.Equal(SlotFreeStatus.OutOfRange, slots.Release(ulong.MaxValue));
        Assert.False(slots.IsAllocated(70));
        Assert.Equal(0UL, slots.InUse);
        Assert.Equal(3UL, slots.RejectedFrees);
    }

    [Fact]
    public void Consecutive_allocations_take_consecutive_slots()
    {
        var slots = new SlotAllocator(200);
        for (ulong i = 0; i < 150; i++)
        {
            Assert.True(slots.TryAllocate(out ulong slot));
            Assert.Equal(i, slot);
        }
    }

    public enum OpKind
    {
        Allocate,
        FreeLive,
        FreeAny,
    }

    public sealed record Op(OpKind Kind, int Value);

    private static Gen<Op> OpGen => Gen.Frequency(
        (5, Gen.Constant(new Op(OpKind.Allocate, 0))),
        (3, Gen.Choose(0, 10000).Select(i => new Op(OpKind.FreeLive, i))),
        (1, Gen.Choose(-1, 300).Select(i => new Op(OpKind.FreeAny, i))));

    [Fact]
    public void Random_allocations_and_frees_agree_with_a_set_of_live_slots()
    {
        Arbitrary<(int, Op[])> cases = Arb.From(
            from count in Gen.Frequency((2, Gen.Choose(1, 8)), (3, Gen.Choose(60, 140)), (1, Gen.Choose(200, 300)))
            from ops in Gen.ArrayOf(OpGen)
            select (count, ops));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(cases, c => Run((ulong)c.Item1, c.Item2)));
    }

    private static void Run(ulong count, Op[] ops)
    {
        var slots = new SlotAllocator(count);
        var live = new List<ulong>();
        ulong frees = 0;
        ulong rejected = 0;
        foreach (Op op in ops)
        {
            switch (op.Kind)
            {
                case OpKind.Allocate:
                    bool got = slots.TryAllocate(out ulong slot);
                    Assert.Equal((ulong)live.Count < count, got);
                    if (got)
                    {
                        Assert.True(slot < count);
                        Assert.DoesNotContain(slot, live);
                        live.Add(slot);
                    }
                    break;
                case OpKind.FreeLive when live.Count > 0:
                    ulong victim = live[op.Value % live.Count];
                    live.Remove(victim);
                    Assert.Equal(SlotFreeStatus.Ok, slots.Release(victim));
                    frees++;
                    break;
                case OpKind.FreeAny:
                    ulong any = op.Value < 0 ? ulong.MaxValue : (ulong)op.Value;
                    SlotFreeStatus expected = any >= count ? SlotFreeStatus.OutOfRange
                        : live.Contains(any) ? SlotFreeStatus.Ok : SlotFreeStatus.NotAllocated;
                    Assert.Equal(expected, slots.Release(any));
                    if (expected == SlotFreeStatus.Ok)
                    {
                        live.Remove(any);
                        frees++;
                    }
                    else
                    {
                        rejected++;
                    }
                    break;
            }
            Assert.Equal((ulong)live.Count, slots.InUse);
            Assert.Equal(frees, slots.Frees);
            Assert.Equal(rejected, slots.RejectedFrees);
            for (ulong s = 0; s < count; s++)
            {
                Assert.Equal(live.Contains(s), slots.IsAllocated(s));
            }
        }
    }
}
