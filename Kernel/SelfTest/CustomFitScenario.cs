using Kernel.Arch;
using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// The FOS course's custom-fit scenario (docs/fos-memory.md) on a second, private kernel heap
/// with real frames, the kernel's real mapper and the CPU's real page tables. The live kernel heap
/// already holds allocations, so the scenario gets its own heap over
/// <see cref="KernelLayout.SelfTestHeapBase"/>, its metadata mapped from fresh frames at
/// <see cref="KernelLayout.SelfTestHeapMetadataBase"/>; both are torn down at the end.
/// </summary>
/// <remarks>
/// <para>
/// Frame accounting is exact at every step. The heap's range lies in a 1 GiB region of its own, under an
/// upper-half PDPT that always exists, so the page-table frames the mapper holds for it are determined by
/// which pages are mapped: one page directory while anything is mapped, plus one page table per 2 MiB of
/// the range that holds a mapped page. The expected free-frame count is therefore the count with the
/// heap empty, less the pages of the live allocations, less those tables, computed from the scenario's
/// own record of what is live, independently of the mapper.
/// </para>
/// <para>
/// Sizes are in units of 1 MiB, as the course states them. On a machine too small to back the scenario's
/// 20 units (the kernel runs from 24 MiB of RAM) the unit is halved until it fits, so the same placements
/// are checked at a smaller scale; the unit is printed.
/// </para>
/// <para>
/// The heap object and the allocators it builds are ordinary <c>new</c> objects on the live kernel heap;
/// the heap object is freed at the end (so are this object's arrays; the caller frees this object), but the heap's two allocators and their counters (a few hundred bytes) cannot be
/// reached to be freed and stay allocated, as the self-test runner's own context does.
/// </para>
/// </remarks>
internal sealed unsafe class CustomFitScenario
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong PageSize = MemConstants.PageSize;
    private const ulong RegionSize = MemConstants.LargePageSize;
    private const ulong EntriesPerTable = 512;
    private const int MaxLive = 16;

    // The block area ends one guard page before a 2 MiB boundary, so the page area starts on one and
    // each unit of the scenario covers whole page tables.
    private const ulong BlockAreaSize = RegionSize - KernelHeapLayout.GuardSize;
    private const ulong PageAreaUnits = 32;
    // The most units live at once: after worst3, exact3 and exact4 land, a0 4 + a2 2 + a4 1 + worst1 1 +
    // exact2 3 + worst2 1.5 + extended 2.5 + worst3 5 + exact3 1.5 + exact4 1 = 22.5, rounded up.
    private const ulong PeakUnits = 23;
    private const ulong SmallestUnit = 64 * KiB;
    private const ulong FramesToSpare = 256;

    private readonly TestContext _test;
    private readonly ulong[] _liveAddress = new ulong[MaxLive];
    private readonly ulong[] _liveBytes = new ulong[MaxLive];
    private KernelHeap<KernelPhysicalMemory, KernelTlb> _heap;
    private KernelHeapLayout _layout;
    private ulong _unit;
    private ulong _metadataPages;
    private ulong _emptyHeapFreeFrames;
    private ulong _normalFrames;
    private bool _placementsRight = true;
    private bool _framesRight = true;
    private bool _backingRight = true;
    private bool _freedPagesFault = true;

    public CustomFitScenario(TestContext test) => _test = test;

    public void Run()
    {
        RunOnFreshHeap();
        ObjectAllocator.Free(_liveAddress);
        ObjectAllocator.Free(_liveBytes);
    }

    private void RunOnFreshHeap()
    {
        ulong freeAtStart = MemoryManager.Frames.FreeFrames;
        if (!Prepare())
        {
            return;
        }
        ulong freeWithMetadata = MemoryManager.Frames.FreeFrames;
        KernelHeapCreateStatus created = KernelHeap<KernelPhysicalMemory, KernelTlb>.Create(
            MemoryManager.Mapper, MemoryManager.FrameSource, _layout, (byte*)KernelLayout.SelfTestHeapMetadataBase, MetadataBytes, out _heap);
        if (created != KernelHeapCreateStatus.Ok)
        {
            _test.Check(false, "fos.heap_is_created", "the scratch heap refused its layout or metadata");
            ReleaseMetadata();
            return;
        }
        _emptyHeapFreeFrames = MemoryManager.Frames.FreeFrames;
        // Frames the live heap took to hold the new heap's objects (normally none: they fit its pages).
        ulong liveHeapGrowth = freeWithMetadata - _emptyHeapFreeFrames;

        Console.Write("kheap: custom-fit scenario in units of ");
        Console.WriteDecimal(_unit / KiB);
        Console.Write(" KiB, page area at ");
        Console.WriteHex(_layout.PageAreaStart);
        Console.Write(", ");
        Console.WriteDecimal(_metadataPages);
        Console.Write(" metadata pages, ");
        Console.WriteDecimal(_emptyHeapFreeFrames);
        Console.WriteLine(" frames free with the heap empty");

        Scenario();

        ReleaseMetadata();
        bool bothRegionsGone = RegionIsEmpty(KernelLayout.SelfTestHeapBase) && RegionIsEmpty(KernelLayout.SelfTestHeapMetadataBase);
        _test.Check(bothRegionsGone, "fos.teardown_releases_every_page_table", "a page directory of the scratch ranges is still there");
        _test.CheckEqual(freeAtStart - liveHeapGrowth, MemoryManager.Frames.FreeFrames, "fos.every_frame_is_back_after_teardown");
        Console.Write("kheap: custom fit free frames before ");
        Console.WriteDecimal(freeAtStart);
        Console.Write(", after ");
        Console.WriteDecimal(MemoryManager.Frames.FreeFrames);
        Console.Write(" (");
        Console.WriteDecimal(_normalFrames);
        Console.WriteLine(" heap pages were backed by frames above 4 GiB)");
        _heap.ReleaseObjects(&ObjectAllocator.Free);
        ObjectAllocator.Free(_heap);
        _heap = null;
    }

    private ulong MetadataBytes => KernelHeap<KernelPhysicalMemory, KernelTlb>.MetadataBytes(_layout);

    /// <summary>Picks the unit, lays the heap out and maps its metadata, checking the tables that takes.</summary>
    private bool Prepare()
    {
        if (!RegionIsEmpty(KernelLayout.SelfTestHeapBase) || !RegionIsEmpty(KernelLayout.SelfTestHeapMetadataBase))
        {
            _test.Check(false, "fos.scratch_ranges_are_unmapped", "something is mapped in the self-test heap's ranges");
            return false;
        }
        _unit = MiB;
        while (true)
        {
            _layout = new KernelHeapLayout(KernelLayout.SelfTestHeapBase, BlockAreaSize + KernelHeapLayout.GuardSize + PageAreaUnits * _unit,
                BlockAreaSize);
            _metadataPages = MemConstants.AlignUp(MetadataBytes, PageSize) / PageSize;
            ulong needed = PeakUnits * _unit / PageSize + _metadataPages + FramesToSpare;
            if (needed <= MemoryManager.Frames.FreeFrames || _unit == SmallestUnit)
            {
                break;
            }
            _unit /= 2;
        }
        if (!_layout.IsValid)
        {
            _test.Check(false, "fos.layout_is_valid", "the scratch heap's layout is invalid");
            return false;
        }

        ulong free = MemoryManager.Frames.FreeFrames;
        PageFlags flags = PageFlags.Writable | (CpuFeatures.HasNoExecute ? PageFlags.NoExecute : PageFlags.None);
        for (ulong i = 0; i < _metadataPages; i++)
        {
            ulong page = KernelLayout.SelfTestHeapMetadataBase + i * PageSize;
            if (!MemoryManager.FrameSource.TryAllocateFrame(out ulong frame))
            {
                _test.Check(false, "fos.metadata_is_mapped", "out of frames for the scratch heap's metadata");
                ReleaseMetadata();
                return false;
            }
            if (MemoryManager.Mapper.Map(page, frame, flags, Mem.Paging.PageSize.Size4KiB) != PagingStatus.Success)
            {
                MemoryManager.FrameSource.FreeFrame(frame);
                _test.Check(false, "fos.metadata_is_mapped", "mapping the scratch heap's metadata failed");
                ReleaseMetadata();
                return false;
            }
            System.Runtime.RuntimeExports.memset((byte*)PhysicalMemory.ToVirtual(frame), 0, (nuint)PageSize);
        }
        // A page directory for the region and a page table per 512 pages (the range starts on a 2 MiB boundary).
        ulong tables = 1 + (_metadataPages + EntriesPerTable - 1) / EntriesPerTable;
        _test.CheckEqual(free - _metadataPages - tables, MemoryManager.Frames.FreeFrames, "fos.metadata_takes_its_pages_and_their_tables");
        return true;
    }

    /// <summary>Unmaps every metadata page that is mapped and returns its frame.</summary>
    private void ReleaseMetadata()
    {
        for (ulong i = 0; i < _metadataPages; i++)
        {
            ulong page = KernelLayout.SelfTestHeapMetadataBase + i * PageSize;
            if (MemoryManager.Mapper.Unmap(page, Mem.Paging.PageSize.Size4KiB, out ulong frame) == PagingStatus.Success)
            {
                MemoryManager.FrameSource.FreeFrame(frame);
            }
        }
    }

    private static bool RegionIsEmpty(ulong address)
    {
        MemoryManager.Mapper.Walk(address, out PageWalk walk);
        return walk.StoppedAt == PageTableLevel.Pdpt && !walk.IsMapped;
    }

    private ulong At(ulong offset) => _layout.PageAreaStart + offset;

    private void Scenario()
    {
        ulong u = _unit;

        // Allocate 4, 3, 2, 4, 1, 1, 1, 2, 2 units in a row from the start of the page area.
        ulong a0 = Allocate(4 * u, 0);
        ulong a1 = Allocate(3 * u, 4 * u);
        ulong a2 = Allocate(2 * u, 7 * u);
        ulong a3 = Allocate(4 * u, 9 * u);
        ulong a4 = Allocate(1 * u, 13 * u);
        ulong a5 = Allocate(1 * u, 14 * u);
        ulong a6 = Allocate(1 * u, 15 * u);
        ulong a7 = Allocate(2 * u, 16 * u);
        ulong a8 = Allocate(2 * u, 18 * u);
        HeapStatistics statistics = _heap.GetStatistics();
        _test.Check(TakeVerdict(ref _placementsRight) && statistics.Break == At(20 * u), "fos.nine_allocations_land_in_a_row_and_the_break_follows", "an allocation or the break is not where the scenario puts it");
        _test.Check(TakeVerdict(ref _backingRight), "fos.allocated_pages_are_mapped_to_their_own_frames_and_hold_data", "a page is unmapped, has the wrong flags or translations, or lost what was written");
        _test.Check(TakeVerdict(ref _framesRight), "fos.each_allocation_takes_its_pages_and_page_tables_in_frames", "the free-frame count differs from pages plus page tables");

        // Free the 2nd, 4th, 6th and 8th: holes of 3, 4, 1 and 2 units.
        Free(a1);
        Free(a3);
        Free(a5);
        Free(a7);
        statistics = _heap.GetStatistics();
        _test.Check(statistics.HoleCount == 4 && statistics.LargestHoleBytes == 4 * u && statistics.Break == At(20 * u),
            "fos.four_frees_leave_holes_of_3_4_1_2_below_an_unmoved_break", "hole count, largest hole or break wrong");
        _test.Check(TakeVerdict(ref _freedPagesFault), "fos.freed_pages_no_longer_translate_and_fault", "a freed page still translates or does not fault");
        _test.Check(TakeVerdict(ref _framesRight), "fos.frees_return_pages_and_emptied_page_tables", "the free-frame count differs from the model after the frees");

        ulong exact1 = Allocate(1 * u, 14 * u);
        _test.Check(TakeVerdict(ref _placementsRight), "fos.one_unit_takes_the_one_unit_hole_exact_fit", "not placed in the 1-unit hole");
        ulong worst1 = Allocate(1 * u + 4 * KiB, 9 * u);
        _test.Check(TakeVerdict(ref _placementsRight), "fos.one_unit_plus_4_KiB_takes_the_largest_hole_worst_fit", "not placed at the start of the 4-unit hole");
        ulong exact2 = Allocate(3 * u - 4 * KiB, 10 * u + 4 * KiB);
        _test.Check(TakeVerdict(ref _placementsRight), "fos.three_units_less_4_KiB_takes_the_rest_of_that_hole_exact_fit", "not placed in the rest of the 4-unit hole");
        ulong worst2 = Allocate(3 * u / 2, 4 * u);
        _test.Check(TakeVerdict(ref _placementsRight), "fos.one_and_a_half_units_take_the_three_unit_hole_worst_fit", "not placed at the start of the 3-unit hole");
        ulong extended = Allocate(5 * u / 2, 20 * u);
        statistics = _heap.GetStatistics();
        _test.Check(TakeVerdict(ref _placementsRight) && statistics.Break == At(22 * u + u / 2), "fos.two_and_a_half_units_extend_the_break", "not placed at the old break, or the break did not move");
        _test.Check(TakeVerdict(ref _framesRight) && TakeVerdict(ref _backingRight), "fos.placed_allocations_are_backed_and_counted_exactly", "pages or frame counts wrong after the placements");

        // More than what remains: 9.5 units above the break, holes of 1.5 and 2 units.
        ulong freeBefore = MemoryManager.Frames.FreeFrames;
        HeapStatistics before = _heap.GetStatistics();
        void* refused = _heap.Allocate(10 * u);
        HeapStatistics after = _heap.GetStatistics();
        _test.Check(refused == null && MemoryManager.Frames.FreeFrames == freeBefore && after.Frames == before.Frames
            && after.Break == before.Break && after.HoleCount == before.HoleCount && after.FailedAllocations == before.FailedAllocations + 1,
            "fos.request_larger_than_what_remains_returns_null_and_takes_no_frame", "the request succeeded, or frames, break or holes changed");

        // Freeing neighbours merges: 1 + 1 + 2 -> 4 units, then + 2 -> 6.
        Free(exact1);
        Free(a6);
        statistics = _heap.GetStatistics();
        bool mergedToFour = statistics.LargestHoleBytes == 4 * u && statistics.HoleCount == 2;
        Free(a8);
        statistics = _heap.GetStatistics();
        bool mergedToSix = statistics.LargestHoleBytes == 6 * u && statistics.HoleCount == 2;
        _test.Check(mergedToFour && mergedToSix, "fos.freeing_neighbours_merges_holes_1_1_2_into_4_then_6", "holes did not merge to 4 then 6 units");
        _test.Check(TakeVerdict(ref _freedPagesFault) && TakeVerdict(ref _framesRight), "fos.merged_hole_is_unmapped_and_its_frames_returned", "a page of the merged hole is mapped, or frames are wrong");

        // Later allocations land by the same rules: 5 units by worst fit into the 6-unit hole, 1.5 exactly
        // into the 1.5-unit hole, 1 exactly into the rest of the 6-unit hole.
        ulong worst3 = Allocate(5 * u, 14 * u);
        ulong exact3 = Allocate(3 * u / 2, 5 * u + u / 2);
        ulong exact4 = Allocate(1 * u, 19 * u);
        statistics = _heap.GetStatistics();
        _test.Check(TakeVerdict(ref _placementsRight) && statistics.HoleCount == 0, "fos.later_allocations_follow_the_same_rules_and_fill_every_hole", "worst fit, exact fits or the hole count wrong");

        // Freeing the topmost allocations moves the break down.
        Free(extended);
        bool breakAt20 = _heap.GetStatistics().Break == At(20 * u);
        Free(exact4);
        bool breakAt19 = _heap.GetStatistics().Break == At(19 * u);
        Free(worst3);
        statistics = _heap.GetStatistics();
        _test.Check(breakAt20 && breakAt19 && statistics.Break == At(14 * u) && statistics.HoleCount == 0,
            "fos.freeing_the_topmost_allocations_moves_the_break_down", "the break did not go to 20, 19 then 14 units");
        _test.Check(TakeVerdict(ref _freedPagesFault) && TakeVerdict(ref _framesRight), "fos.pages_above_the_lowered_break_are_unmapped_and_returned", "a page above the break is mapped, or frames are wrong");

        // Freeing the rest empties the heap: break at the start, no frame and no page table held.
        Free(a0);
        Free(worst2);
        Free(exact3);
        Free(a2);
        Free(worst1);
        Free(exact2);
        Free(a4);
        statistics = _heap.GetStatistics();
        _test.Check(statistics.Break == _layout.PageAreaStart && statistics.Frames == 0 && statistics.PagesInUse == 0 && statistics.HoleCount == 0,
            "fos.freeing_everything_empties_the_heap", "break, frames, pages or holes not back to empty");
        _test.Check(TakeVerdict(ref _freedPagesFault) && TakeVerdict(ref _framesRight) && TakeVerdict(ref _placementsRight),
            "fos.last_frees_unmap_and_return_everything", "a page still mapped, a free refused, or frames wrong");
        _test.CheckEqual(_emptyHeapFreeFrames, MemoryManager.Frames.FreeFrames, "fos.free_frames_back_to_the_empty_heap_count");
        _test.Check(RegionIsEmpty(KernelLayout.SelfTestHeapBase), "fos.empty_heap_holds_no_page_table", "the heap region's page directory is still there");
    }

    /// <summary>Returns the verdict gathered since the last call and starts a new one.</summary>
    private static bool TakeVerdict(ref bool verdict)
    {
        bool result = verdict;
        verdict = true;
        return result;
    }

    /// <summary>
    /// kmalloc of <paramref name="bytes"/>, expected at <paramref name="offset"/> into the page area; then
    /// checks that every page is backed, writes and reads it back, and checks the exact frame count.
    /// </summary>
    private ulong Allocate(ulong bytes, ulong offset)
    {
        ulong address = (ulong)_heap.Allocate(bytes);
        if (address != At(offset))
        {
            _placementsRight = false;
            Console.Write("kheap: allocation of ");
            Console.WriteDecimal(bytes / KiB);
            Console.Write(" KiB at ");
            Console.WriteHex(address);
            Console.Write(", expected ");
            Console.WriteHex(At(offset));
            Console.WriteLine();
            if (address == 0)
            {
                return 0;
            }
        }
        ulong pages = MemConstants.AlignUp(bytes, PageSize) / PageSize;
        Record(address, pages * PageSize);
        for (ulong page = address; page < address + pages * PageSize; page += PageSize)
        {
            _backingRight &= IsBacked(page);
        }
        CheckFrames();
        return address;
    }

    private bool IsBacked(ulong page)
    {
        ulong physical = _heap.PhysicalAddress(page);
        if (physical == 0 || MemoryManager.Mapper.Translate(page, out Translation translation) != PagingStatus.Success)
        {
            return false;
        }
        if (physical >= Mem.Physical.Zone.Dma32End)
        {
            _normalFrames++;
        }
        PageFlags rights = translation.Flags & (PageFlags.Writable | PageFlags.User | PageFlags.NoExecute | PageFlags.Global);
        PageFlags expected = PageFlags.Writable | (CpuFeatures.HasNoExecute ? PageFlags.NoExecute : PageFlags.None);
        // Each page holds its own address, put there through the heap's virtual address and read back
        // through the direct map's view of the frame behind it. The kernel heap shares the frame source:
        // the frame's tag names this heap's page, which the kernel heap must not take for one of its own.
        *(ulong*)page = page;
        *(ulong*)(page + PageSize - sizeof(ulong)) = ~page;
        return translation.PhysicalAddress == physical
            && rights == expected
            && _heap.VirtualAddress(physical) == page
            && MemoryManager.Heap.VirtualAddress(physical) == 0
            && *(ulong*)PhysicalMemory.ToVirtual(physical) == page
            && *(ulong*)PhysicalMemory.ToVirtual(physical + PageSize - sizeof(ulong)) == ~page;
    }

    /// <summary>kfree, then checks that every page of the allocation is unmapped and really faults.</summary>
    private void Free(ulong address)
    {
        ulong bytes = Forget(address);
        if (_heap.Free((void*)address) != FreeStatus.Freed)
        {
            _placementsRight = false;
            return;
        }
        for (ulong page = address; page < address + bytes; page += PageSize)
        {
            bool faults = !FaultProbe.TryRead(page + sizeof(ulong), out _)
                && FaultProbe.LastVector == ExceptionVector.PageFault
                && (FaultProbe.LastErrorCode & 1) == 0
                && FaultProbe.LastFaultAddress == page + sizeof(ulong);
            _freedPagesFault &= faults
                && MemoryManager.Mapper.Translate(page, out _) == PagingStatus.NotMapped
                && _heap.PhysicalAddress(page) == 0;
        }
        CheckFrames();
    }

    private void Record(ulong address, ulong bytes)
    {
        for (int i = 0; i < MaxLive; i++)
        {
            if (_liveBytes[i] == 0)
            {
                _liveAddress[i] = address;
                _liveBytes[i] = bytes;
                return;
            }
        }
        _framesRight = false;
    }

    private ulong Forget(ulong address)
    {
        for (int i = 0; i < MaxLive; i++)
        {
            if (_liveBytes[i] != 0 && _liveAddress[i] == address)
            {
                ulong bytes = _liveBytes[i];
                _liveBytes[i] = 0;
                return bytes;
            }
        }
        return 0;
    }

    /// <summary>
    /// The free-frame count must be the empty heap's less the live pages, less one page table per 2 MiB
    /// region holding a live page and the region's page directory while anything is live; and the
    /// heap's own figures must agree on the pages.
    /// </summary>
    private void CheckFrames()
    {
        ulong livePages = 0;
        for (int i = 0; i < MaxLive; i++)
        {
            livePages += _liveBytes[i] / PageSize;
        }
        ulong tables = 0;
        ulong regions = MemConstants.AlignUp(_layout.Size, RegionSize) / RegionSize;
        for (ulong region = 0; region < regions; region++)
        {
            ulong start = _layout.Start + region * RegionSize;
            ulong end = start + RegionSize;
            for (int i = 0; i < MaxLive; i++)
            {
                if (_liveBytes[i] != 0 && _liveAddress[i] < end && _liveAddress[i] + _liveBytes[i] > start)
                {
                    tables++;
                    break;
                }
            }
        }
        if (tables != 0)
        {
            tables++;
        }
        ulong expected = _emptyHeapFreeFrames - livePages - tables;
        HeapStatistics statistics = _heap.GetStatistics();
        bool right = MemoryManager.Frames.FreeFrames == expected && statistics.Frames == livePages && statistics.PagesInUse == livePages;
        if (!right)
        {
            Console.Write("kheap: free frames ");
            Console.WriteDecimal(MemoryManager.Frames.FreeFrames);
            Console.Write(", expected ");
            Console.WriteDecimal(expected);
            Console.Write(" (");
            Console.WriteDecimal(livePages);
            Console.Write(" pages, ");
            Console.WriteDecimal(tables);
            Console.Write(" page tables); heap frames ");
            Console.WriteDecimal(statistics.Frames);
            Console.WriteLine();
        }
        _framesRight &= right;
    }
}
