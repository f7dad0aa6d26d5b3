using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Mem.Replacement;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Replacement;

/// <summary>
/// A working set whose table starts small and doubles as pages join: it must choose exactly the victims a set
/// made at full size chooses, hand every outgrown table back, and, when no memory for a larger table is found,
/// count as full, so that the fault path replaces instead of failing.
/// </summary>
public sealed unsafe class WorkingSetGrowthTests
{
    // Tests of one class run one after another, so these counters belong to the running test.
    private static int s_allocations;
    private static int s_frees;
    private static int s_refuseAbove = int.MaxValue;

    private static object AllocateLike(object template, int length)
    {
        if (length > s_refuseAbove)
        {
            return null;
        }
        s_allocations++;
        return Array.CreateInstance(template.GetType().GetElementType()!, length);
    }

    private static FreeStatus Free(object table)
    {
        s_frees++;
        return FreeStatus.Freed;
    }

    private static WorkingSet Growing(int capacity, ReplacementPolicy policy, int initial)
    {
        s_allocations = 0;
        s_frees = 0;
        return new WorkingSet(capacity, policy, initial, &AllocateLike, &Free);
    }

    private struct Bits : IReferenceBits
    {
        public HashSet<ulong> Accessed;
        public HashSet<ulong> Dirty;

        public bool TestAndClearAccessed(ulong page) => Accessed.Remove(page);

        public bool IsAccessed(ulong page) => Accessed.Contains(page);

        public bool IsDirty(ulong page) => Dirty.Contains(page);
    }

    [Theory]
    [InlineData(ReplacementPolicy.Clock, 1)]
    [InlineData(ReplacementPolicy.ModifiedClock, 2)]
    [InlineData(ReplacementPolicy.LruAging, 3)]
    public void A_growing_table_chooses_the_victims_a_full_size_one_does(ReplacementPolicy policy, int seed)
    {
        const int Capacity = 37;
        var random = new Random(seed);
        var full = new WorkingSet(Capacity, policy);
        WorkingSet growing = Growing(Capacity, policy, 1);
        var fullBits = new Bits { Accessed = new HashSet<ulong>(), Dirty = new HashSet<ulong>() };
        var growingBits = new Bits { Accessed = new HashSet<ulong>(), Dirty = new HashSet<ulong>() };
        var resident = new HashSet<ulong>();
        for (int step = 0; step < 4000; step++)
        {
            ulong page = 0x1000 * (ulong)random.Next(1, 60);
            bool write = random.Next(3) == 0;
            int action = random.Next(20);
            if (action == 0 && resident.Count > 0)
            {
                int index = full.IndexOf(page);
                if (index >= 0)
                {
                    full.RemoveAt(index);
                    growing.RemoveAt(growing.IndexOf(page));
                    resident.Remove(page);
                }
                continue;
            }
            if (action == 1)
            {
                full.Age(ref fullBits);
                growing.Age(ref growingBits);
                Assert.Equal(fullBits.Accessed, growingBits.Accessed);
                continue;
            }
            if (!resident.Contains(page))
            {
                if (full.IsFull)
                {
                    int victim = full.ChooseVictim(ref fullBits);
                    int same = growing.ChooseVictim(ref growingBits);
                    Assert.Equal(victim, same);
                    ulong evicted = full.PageAt(victim);
                    Assert.Equal(evicted, growing.PageAt(same));
                    resident.Remove(evicted);
                    fullBits.Dirty.Remove(evicted);
                    growingBits.Dirty.Remove(evicted);
                    full.Replace(victim, page, (ulong)step);
                    growing.Replace(same, page, (ulong)step);
                }
                else
                {
                    Assert.True(growing.MakeRoom());
                    Assert.Equal(full.Add(page, (ulong)step), growing.Add(page, (ulong)step));
                }
                resident.Add(page);
            }
            foreach (Bits bits in new[] { fullBits, growingBits })
            {
                bits.Accessed.Add(page);
                if (write)
                {
                    bits.Dirty.Add(page);
                }
            }
            Assert.Equal(full.Count, growing.Count);
            Assert.Equal(full.Hand, growing.Hand);
        }
        for (int i = 0; i < growing.TableEntries; i++)
        {
            Assert.Equal(full.PageAt(i), growing.PageAt(i));
            Assert.Equal(full.SlotAt(i), growing.SlotAt(i));
            Assert.Equal(full.AgeAt(i), growing.AgeAt(i));
        }
        Assert.Equal(Capacity, growing.TableEntries);
        // 1 -> 2 -> 4 -> 8 -> 16 -> 32 -> 37: six larger tables, six outgrown ones handed back.
        Assert.Equal(6, s_allocations);
        Assert.Equal(6, s_frees);
        Assert.False(growing.MakeRoom());
    }

    [Fact]
    public void A_set_that_cannot_grow_counts_as_full_and_keeps_its_pages()
    {
        WorkingSet set = Growing(100, ReplacementPolicy.Clock, 4);
        s_refuseAbove = 8;
        try
        {
            for (ulong i = 1; i <= 8; i++)
            {
                Assert.True(set.Add(i * 0x1000, i) >= 0);
            }
            Assert.Equal(8, set.TableEntries);
            Assert.False(set.IsFull);
            Assert.False(set.MakeRoom());
            Assert.Equal(-1, set.Add(0x9000, 9));
            Assert.Equal(8, set.Count);
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal((ulong)(i + 1) * 0x1000, set.PageAt(i));
                Assert.Equal((ulong)(i + 1), set.SlotAt(i));
            }
            set.RemoveAt(3);
            Assert.True(set.MakeRoom());
            Assert.Equal(3, set.Add(0x9000, 9));
            Assert.Equal(1, s_allocations);
            Assert.Equal(1, s_frees);
        }
        finally
        {
            s_refuseAbove = int.MaxValue;
        }
    }

    [Fact]
    public void A_fault_that_finds_no_memory_for_a_larger_table_evicts_and_loses_nothing()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, 16);
        MemoryPageStore.Seam seam = store.AsSeam;
        UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(machine.Ram.Memory, new RecordingTlb(machine.Tlb), machine.Frames, machine.Root,
            PageFlags.NoExecute, out var space);
        space.UseWorkingSet(Growing(1000, ReplacementPolicy.Clock, 2));
        s_refuseAbove = 4;
        try
        {
            ulong heap = UserLayout.PageAreaBase;
            space.ReserveHeap(heap, 10 * MemConstants.PageSize);
            for (int i = 0; i < 10; i++)
            {
                WorkingSetPageFileModelTests.Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, true, (byte)(i + 1));
            }
            Assert.Equal(4, space.WorkingSet.Count);
            Assert.Equal(6UL, space.SwappedPages);
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal((byte)(i + 1), WorkingSetPageFileModelTests.Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, false, 0));
            }
            space.Destroy(ref seam);
            Assert.Equal(0, store.SlotsInUse);
            Assert.Equal(baseline, machine.Frames.Outstanding);
        }
        finally
        {
            s_refuseAbove = int.MaxValue;
        }
    }
}
