using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.Replacement;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Replacement;

/// <summary>
/// A process's heap under page replacement on the emulated machine, against a model: random reads, writes and
/// frees over more pages than the working set holds, with this test playing the CPU (it walks the real page
/// tables, faults when a page is not present, and sets the accessed and dirty bits as the CPU would). After
/// every step what each page holds equals the model, the working set holds exactly the resident heap pages,
/// the page file's slots in use equal what the address space says it holds, and at the end every frame and
/// every slot comes back. The same replay's counters equal the <see cref="ReplacementModel"/>'s.
/// </summary>
public sealed unsafe class WorkingSetPageFileModelTests
{
    private const int Pages = 24;

    public static TheoryData<int, ReplacementPolicy, int> Cases()
    {
        var data = new TheoryData<int, ReplacementPolicy, int>();
        foreach (ReplacementPolicy policy in new[] { ReplacementPolicy.Clock, ReplacementPolicy.ModifiedClock, ReplacementPolicy.LruAging })
        {
            for (int seed = 1; seed <= 12; seed++)
            {
                data.Add(seed, policy, 3 + seed % 9);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Contents_counters_and_slots_follow_the_model_under_random_references(int seed, ReplacementPolicy policy, int capacity)
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, Pages);
        MemoryPageStore.Seam seam = store.AsSeam;
        Assert.Equal(PagingStatus.Success, UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(
            machine.Ram.Memory, new RecordingTlb(machine.Tlb), machine.Frames, machine.Root, PageFlags.NoExecute | PageFlags.Global | PageFlags.Pat, out var space));
        space.UseWorkingSet(new WorkingSet(capacity, policy));
        // LRU aging ages the set after every reference, as the kernel does at every tick the process runs.
        bool aging = policy == ReplacementPolicy.LruAging;
        var model = new ReplacementModel(Pages, capacity, policy, ageEveryReference: aging, slots: Pages);
        ulong heap = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, space.ReserveHeap(heap, Pages * MemConstants.PageSize));

        var expected = new byte[Pages];
        var random = new Random(seed * 7919);
        for (int step = 0; step < 400; step++)
        {
            int page = random.Next(random.Next(2) == 0 ? Pages : capacity + 2);
            bool write = random.Next(3) == 0;
            ulong address = heap + (ulong)page * MemConstants.PageSize + (ulong)(page * 167 % 4096);
            byte value = (byte)random.Next(1, 256);
            byte seen = Access(machine, space, ref seam, address, write, value);
            if (aging)
            {
                space.AgeWorkingSet();
            }
            model.Reference(page, write);
            if (write)
            {
                expected[page] = value;
            }
            else
            {
                Assert.Equal(expected[page], seen);
            }
            Assert.Equal(space.WorkingSet.Count, (int)space.HeapResidentPages);
            Assert.Equal((ulong)store.SlotsInUse, space.SlotsHeld);
            Assert.Equal(model.Faults, space.PageIns + (ulong)ZeroFills(space, model));
            Assert.Equal(model.PageIns, space.PageIns);
            Assert.Equal(model.PageOuts, space.PageOuts);
            Assert.Equal(model.WritesAvoided, space.WritesAvoided);
            Assert.Equal(model.SlotsInUse, space.SlotsHeld);
            Assert.Equal(baseline + (int)(space.ResidentPages + space.TableFrames), machine.Frames.Outstanding);
        }

        space.Destroy(ref seam);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }

    // Faults that were not page-ins were first touches (zero fills); the model counts both as faults.
    private static ulong ZeroFills(UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> space, ReplacementModel model) => model.Faults - space.PageIns;

    [Fact]
    public void Freeing_pages_gives_back_their_frames_their_slots_and_their_working_set_entries()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, 16);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = NewSpace(machine, 4, ReplacementPolicy.Clock);
        ulong heap = UserLayout.PageAreaBase;
        space.ReserveHeap(heap, 10 * MemConstants.PageSize);
        for (int i = 0; i < 10; i++)
        {
            Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, true, (byte)(i + 1));
        }
        Assert.Equal(6UL, space.SwappedPages);
        Assert.Equal(4, space.WorkingSet.Count);
        Assert.Equal(6, store.SlotsInUse);

        Assert.Equal(UserMemoryStatus.Ok, space.FreeHeap(heap, 10 * MemConstants.PageSize, ref seam, out ulong frames));
        Assert.Equal(4UL, frames);
        Assert.Equal(0, space.WorkingSet.Count);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(0UL, space.SwappedPages + space.SlotsHeld + space.HeapReservedPages + space.HeapResidentPages);
        space.Destroy(ref seam);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }

    [Fact]
    public void A_full_page_file_or_a_disk_error_fails_the_fault_and_changes_nothing_else()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        var store = new MemoryPageStore(machine.Ram, 1);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = NewSpace(machine, 1, ReplacementPolicy.Clock);
        ulong heap = UserLayout.PageAreaBase;
        space.ReserveHeap(heap, 4 * MemConstants.PageSize);
        Access(machine, space, ref seam, heap, true, 1);
        store.FailNextTransfer = true;
        Assert.Equal(UserMemoryStatus.PageFileError, space.BackPage(heap + MemConstants.PageSize, ref seam));
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(1, space.WorkingSet.Count);
        Assert.Equal(1, ReadByte(machine, space, heap));

        Access(machine, space, ref seam, heap + MemConstants.PageSize, true, 2);
        Assert.Equal(1, store.SlotsInUse);
        Assert.Equal(UserMemoryStatus.PageFileFull, space.BackPage(heap + 2 * MemConstants.PageSize, ref seam));
        Assert.Equal(1, space.WorkingSet.Count);
        Assert.Equal(2, ReadByte(machine, space, heap + MemConstants.PageSize));
        space.Destroy(ref seam);
        Assert.Equal(0, store.SlotsInUse);
    }

    /// <summary>
    /// A page read back keeps its slot, so that dropping it again costs no write; when the page file is full, such
    /// a copy of a resident page must give way to a page that has nowhere else to go. A process whose pages fit in
    /// the slots plus its working set less one (the page coming in) never fails for want of a slot.
    /// </summary>
    [Theory]
    [InlineData(ReplacementPolicy.Clock)]
    [InlineData(ReplacementPolicy.ModifiedClock)]
    [InlineData(ReplacementPolicy.LruAging)]
    public void A_page_file_full_of_copies_of_resident_pages_still_takes_every_evicted_page(ReplacementPolicy policy)
    {
        const int Slots = 4;
        const int Capacity = 3;
        const int Touched = Slots + Capacity - 1;
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, Slots);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = NewSpace(machine, Capacity, policy);
        ulong heap = UserLayout.PageAreaBase;
        space.ReserveHeap(heap, Touched * MemConstants.PageSize);

        var expected = new byte[Touched];
        var random = new Random(17);
        for (int step = 0; step < 600; step++)
        {
            int page = step < Touched ? step : random.Next(Touched);
            bool write = step < Touched || random.Next(4) == 0;
            byte value = (byte)random.Next(1, 256);
            byte seen = Access(machine, space, ref seam, heap + (ulong)page * MemConstants.PageSize, write, value);
            if (policy == ReplacementPolicy.LruAging)
            {
                space.AgeWorkingSet();
            }
            if (write)
            {
                expected[page] = value;
            }
            else
            {
                Assert.Equal(expected[page], seen);
            }
            Assert.Equal((ulong)store.SlotsInUse, space.SlotsHeld);
        }

        space.Destroy(ref seam);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }

    [Fact]
    public void Mlockall_reads_back_swapped_pages_and_locks_every_backed_page_out_of_replacement()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, 16);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = NewSpace(machine, 4, ReplacementPolicy.Clock);
        ulong heap = UserLayout.PageAreaBase;
        space.ReserveHeap(heap, 16 * MemConstants.PageSize);
        for (int i = 0; i < 10; i++)
        {
            Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, true, (byte)(i + 1));
        }
        Assert.Equal(6UL, space.SwappedPages);

        Assert.Equal(UserMemoryStatus.Ok, space.PinResidentPages(ref seam));
        Assert.Equal(10UL, space.PinnedPages);
        Assert.Equal(10UL, space.ResidentPages);
        Assert.Equal(0UL, space.SwappedPages + space.SlotsHeld);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(0, space.WorkingSet.Count);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal((byte)(i + 1), ReadByte(machine, space, heap + (ulong)i * MemConstants.PageSize));
        }

        // Pages touched afterwards are replaced among themselves; the locked ones stay.
        for (int i = 10; i < 16; i++)
        {
            Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, true, (byte)(i + 1));
        }
        Assert.Equal(4, space.WorkingSet.Count);
        Assert.Equal(2UL, space.SwappedPages);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal((byte)(i + 1), ReadByte(machine, space, heap + (ulong)i * MemConstants.PageSize));
        }
        space.Destroy(ref seam);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }

    [Fact]
    public void Mlockall_short_of_frames_or_failing_to_read_keeps_the_rest_swapped_and_consistent()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, 16);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = NewSpace(machine, 2, ReplacementPolicy.Clock);
        ulong heap = UserLayout.PageAreaBase;
        space.ReserveHeap(heap, 8 * MemConstants.PageSize);
        for (int i = 0; i < 8; i++)
        {
            Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, true, (byte)(i + 1));
        }
        Assert.Equal(6UL, space.SwappedPages);

        machine.Frames.AllowOnly(2);
        Assert.Equal(UserMemoryStatus.OutOfMemory, space.PinResidentPages(ref seam));
        Assert.Equal(4UL, space.PinnedPages);
        Assert.Equal(4UL, space.SwappedPages);
        Assert.Equal(4, store.SlotsInUse);
        machine.Frames.Limit = null;

        store.FailNextTransfer = true;
        Assert.Equal(UserMemoryStatus.PageFileError, space.PinResidentPages(ref seam));
        Assert.Equal(4UL, space.SwappedPages);
        Assert.Equal(UserMemoryStatus.Ok, space.PinResidentPages(ref seam));
        Assert.Equal(8UL, space.PinnedPages);
        Assert.Equal(0, store.SlotsInUse);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal((byte)(i + 1), ReadByte(machine, space, heap + (ulong)i * MemConstants.PageSize));
        }
        space.Destroy(ref seam);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(12, false)]
    public void A_page_read_back_keeps_its_copy_only_while_the_page_file_is_less_than_half_full(int slots, bool keepsCopy)
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, slots);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = NewSpace(machine, 2, ReplacementPolicy.Clock);
        ulong heap = UserLayout.PageAreaBase;
        space.ReserveHeap(heap, 8 * MemConstants.PageSize);
        for (int i = 0; i < 8; i++)
        {
            Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, true, (byte)(i + 1));
        }
        Assert.Equal(6, store.SlotsInUse);

        Assert.Equal(1, Access(machine, space, ref seam, heap, false, 0));
        Assert.Equal(1UL, space.PageIns);
        int entry = space.WorkingSet.IndexOf(heap);
        Assert.Equal(keepsCopy, space.WorkingSet.SlotAt(entry) != WorkingSet.NoSlot);
        // Without the copy every slot in use belongs to a swapped page.
        Assert.Equal(space.SwappedPages + (keepsCopy ? 1UL : 0), space.SlotsHeld);
        Assert.Equal((ulong)store.SlotsInUse, space.SlotsHeld);

        int writes = store.Writes;
        for (int i = 1; i < 8; i++)
        {
            Assert.Equal((byte)(i + 1), Access(machine, space, ref seam, heap + (ulong)i * MemConstants.PageSize, false, 0));
        }
        Assert.Equal(1, Access(machine, space, ref seam, heap, false, 0));
        Assert.Equal((ulong)store.SlotsInUse, space.SlotsHeld);
        Assert.True(store.Writes > writes || keepsCopy, "a clean page without a copy must be written when it is evicted again");
        space.Destroy(ref seam);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }

    [Fact]
    public void A_full_page_file_gives_a_page_with_nowhere_to_go_the_slot_of_a_resident_copy_before_failing()
    {
        using var machine = new PagingFixture(frames: 1024);
        Assert.Equal(PagingStatus.Success, machine.Mapper.PopulateUpperHalf());
        int baseline = machine.Frames.Outstanding;
        var store = new MemoryPageStore(machine.Ram, 8);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = NewSpace(machine, 2, ReplacementPolicy.Clock);
        ulong heap = UserLayout.PageAreaBase;
        ulong a = heap, b = heap + MemConstants.PageSize, c = heap + 2 * MemConstants.PageSize, d = heap + 3 * MemConstants.PageSize;
        space.ReserveHeap(heap, 4 * MemConstants.PageSize);
        Access(machine, space, ref seam, a, true, 0xA);
        Access(machine, space, ref seam, b, true, 0xB);
        Access(machine, space, ref seam, c, true, 0xC);
        Assert.Equal(0xA, Access(machine, space, ref seam, a, false, 0));
        // A was read back with a copy (2 of 8 slots in use); C is dirty without one; B is swapped.
        Assert.NotEqual(WorkingSet.NoSlot, space.WorkingSet.SlotAt(space.WorkingSet.IndexOf(a)));
        Assert.Equal(-1, space.WorkingSet.IndexOf(b));
        Assert.Equal(2UL, space.SlotsHeld);
        // Other processes take the rest of the page file.
        var others = new List<ulong>();
        while (seam.TryAllocateSlot(out ulong slot))
        {
            others.Add(slot);
        }

        Assert.Equal(UserMemoryStatus.Ok, space.BackPage(d, ref seam));
        Assert.Equal(-1, space.WorkingSet.IndexOf(c));
        Assert.Equal(WorkingSet.NoSlot, space.WorkingSet.SlotAt(space.WorkingSet.IndexOf(a)));
        Assert.Equal(2UL, space.SlotsHeld);
        Assert.Equal(2UL, space.SwappedPages);

        // Now no resident page has a copy: a page that needs a slot cannot have one.
        Access(machine, space, ref seam, d, true, 0xD);
        Assert.Equal(UserMemoryStatus.PageFileFull, space.BackPage(c, ref seam));
        Assert.Equal(2UL, space.SlotsHeld);

        foreach (ulong slot in others)
        {
            seam.FreeSlot(slot);
        }
        Assert.Equal(0xA, Access(machine, space, ref seam, a, false, 0));
        Assert.Equal(0xB, Access(machine, space, ref seam, b, false, 0));
        Assert.Equal(0xC, Access(machine, space, ref seam, c, false, 0));
        Assert.Equal(0xD, Access(machine, space, ref seam, d, false, 0));
        Assert.Equal((ulong)store.SlotsInUse, space.SlotsHeld);
        space.Destroy(ref seam);
        Assert.Equal(0, store.SlotsInUse);
        Assert.Equal(baseline, machine.Frames.Outstanding);
    }

    /// <summary>A user address space on <paramref name="machine"/> with a working set of <paramref name="capacity"/> pages.</summary>
    private static UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> NewSpace(PagingFixture machine, int capacity, ReplacementPolicy policy)
    {
        Assert.Equal(PagingStatus.Success, UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(machine.Ram.Memory, new RecordingTlb(machine.Tlb),
            machine.Frames, machine.Root, PageFlags.NoExecute, out var space));
        space.UseWorkingSet(new WorkingSet(capacity, policy));
        return space;
    }

    /// <summary>
    /// Plays the CPU: a not-present page faults (BackPage), then the access goes through the translation and
    /// sets the PTE's accessed bit, and its dirty bit for a write. Returns the byte read (or the one written).
    /// </summary>
    internal static byte Access(PagingFixture machine, UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> space, ref MemoryPageStore.Seam seam,
        ulong address, bool write, byte value)
    {
        if (space.Mapper.Translate(address, out _) != PagingStatus.Success)
        {
            Assert.Equal(UserMemoryStatus.Ok, space.BackPage(address, ref seam));
        }
        Assert.Equal(PagingStatus.Success, space.Mapper.Translate(address, out Translation translation));
        byte* bytes = machine.Ram.Memory.Access(translation.PhysicalAddress);
        ulong* entry = LeafEntry(machine, space.RootTable, address);
        *entry |= PageTableEntry.AccessedBit | (write ? PageTableEntry.DirtyBit : 0);
        if (write)
        {
            *bytes = value;
            return value;
        }
        return *bytes;
    }

    private static byte ReadByte(PagingFixture machine, UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> space, ulong address)
    {
        Assert.Equal(PagingStatus.Success, space.Mapper.Translate(address, out Translation translation));
        return *machine.Ram.Memory.Access(translation.PhysicalAddress);
    }

    private static ulong* LeafEntry(PagingFixture machine, ulong root, ulong address)
    {
        ulong table = root;
        for (int level = 4; level > 1; level--)
        {
            ulong next = ((ulong*)machine.Ram.Memory.Access(table))[VirtualAddressLayout.TableIndex(address, (PageTableLevel)level)];
            table = next & PageTableEntry.AddressMask;
        }
        return (ulong*)machine.Ram.Memory.Access(table) + VirtualAddressLayout.TableIndex(address, PageTableLevel.PageTable);
    }
}
