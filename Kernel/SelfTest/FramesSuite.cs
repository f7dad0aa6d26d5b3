using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// The buddy frame allocator on the machine's real memory map: zone limits hold for every frame handed
/// out, contiguous runs honour count, alignment, limit and boundary (the ISA DMA shape among them), bad
/// frees are refused without changing anything, the Normal zone is used when there is RAM above 4 GiB,
/// and every frame is back at the end.
/// </summary>
/// <remarks>
/// Nothing here allocates objects: <c>new</c> is kmalloc, which could take a frame and spoil the exact
/// free-frame counts the checks compare.
/// </remarks>
internal sealed unsafe class FramesSuite : SelfTestSuite
{
    private const ulong PageSize = MemConstants.PageSize;
    private const ulong IsaDmaLimit = Zone.DmaEnd;
    private const ulong IsaDmaBoundary = 64 * MemConstants.KiB;
    private const ulong IsaDmaFrames = IsaDmaBoundary / PageSize;
    private const int ZoneSamples = 8;
    private const ulong OddRunFrames = 100;
    private const ulong DirectMapPattern = 0x0123_4567_89AB_CDEF;

    public override string Name => "frames";

    public override void Run(TestContext test)
    {
        FrameAllocator<KernelPhysicalMemory> frames = MemoryManager.Frames;
        ulong freeAtStart = frames.FreeFrames;
        ulong* zoneFreeAtStart = stackalloc ulong[Zone.Count];
        for (int zone = 0; zone < Zone.Count; zone++)
        {
            zoneFreeAtStart[zone] = frames.GetZone((ZoneId)zone).FreeFrames;
        }
        Console.Write("frames: ");
        Console.WriteDecimal(freeAtStart);
        Console.Write(" of ");
        Console.WriteDecimal(frames.TotalFrames);
        Console.Write(" frames free (DMA ");
        Console.WriteDecimal(zoneFreeAtStart[(int)ZoneId.Dma]);
        Console.Write(", DMA32 ");
        Console.WriteDecimal(zoneFreeAtStart[(int)ZoneId.Dma32]);
        Console.Write(", Normal ");
        Console.WriteDecimal(zoneFreeAtStart[(int)ZoneId.Normal]);
        Console.WriteLine(")");

        SingleFramesStayInTheirZone(test, frames, ZoneId.Dma, "dma_frames_lie_below_16_MiB");
        SingleFramesStayInTheirZone(test, frames, ZoneId.Dma32, "dma32_frames_lie_below_4_GiB");
        OrdinaryFrame(test, frames);
        RunBelow(test, frames, 16, ZoneId.Dma, "run_below_16_MiB_is_contiguous_and_fully_allocated");
        RunBelow(test, frames, OddRunFrames, ZoneId.Dma32, "run_of_100_below_4_GiB_is_contiguous_and_fully_allocated");
        IsaDmaBuffer(test, frames);
        AlignedAndBoundedRuns(test, frames);
        InvalidRequests(test, frames);
        BadFrees(test, frames);

        test.Check(frames.VerifyFreeLists(), "free_lists_agree_with_the_counters", "a free list or counter is inconsistent");
        test.Check(frames.VerifyFrameStates(), "frame_states_agree_with_the_counters", "mem_map entries disagree with the free lists or counters");
        bool zonesBack = true;
        for (int zone = 0; zone < Zone.Count; zone++)
        {
            zonesBack &= frames.GetZone((ZoneId)zone).FreeFrames == zoneFreeAtStart[zone];
        }
        test.Check(zonesBack, "every_zone_has_its_free_frames_back", "a zone's free-frame count differs from the start");
        test.CheckEqual(freeAtStart, frames.FreeFrames, "no_frame_leaked");
        Console.Write("frames: free before ");
        Console.WriteDecimal(freeAtStart);
        Console.Write(", after ");
        Console.WriteDecimal(frames.FreeFrames);
        Console.WriteLine();
    }

    /// <summary>
    /// A request for <paramref name="zone"/> or below never gets a frame above the zone, takes from the
    /// requested zone itself while it has frames, and lowers that zone's free count by one per frame.
    /// </summary>
    private static void SingleFramesStayInTheirZone(TestContext test, FrameAllocator<KernelPhysicalMemory> frames, ZoneId zone, string name)
    {
        ulong* taken = stackalloc ulong[ZoneSamples];
        ulong zoneFree = frames.GetZone(zone).FreeFrames;
        ulong free = frames.FreeFrames;
        int count = 0;
        bool inLimit = true;
        bool inZone = true;
        for (; count < ZoneSamples; count++)
        {
            if (!frames.Allocate(zone, out taken[count]))
            {
                break;
            }
            ulong frame = taken[count];
            inLimit &= (frame & MemConstants.PageMask) == 0 && frame + PageSize <= Zone.EndOf(zone);
            inZone &= Zone.Of(frame) == zone;
        }
        bool counted = frames.FreeFrames == free - (ulong)count;
        bool fromZone = zoneFree < ZoneSamples || (inZone && frames.GetZone(zone).FreeFrames == zoneFree - ZoneSamples);
        bool freed = true;
        for (int i = 0; i < count; i++)
        {
            freed &= frames.Free(taken[i]) == FrameFreeStatus.Ok;
        }
        test.Check(count == ZoneSamples && inLimit, name, "a frame lies above the zone's limit, or none was had");
        test.Check(fromZone && counted, ZoneCountName(zone), "frames did not come from the requested zone, or the free count moved wrongly");
        test.Check(freed && frames.FreeFrames == free && frames.GetZone(zone).FreeFrames == zoneFree, ZoneFreeName(zone), "freeing the frames did not restore the counts");
    }

    private static string ZoneCountName(ZoneId zone) =>
        zone == ZoneId.Dma ? "dma_request_takes_from_the_dma_zone" : "dma32_request_takes_from_the_dma32_zone";

    private static string ZoneFreeName(ZoneId zone) =>
        zone == ZoneId.Dma ? "dma_frames_free_back_into_their_zone" : "dma32_frames_free_back_into_their_zone";

    /// <summary>
    /// An ordinary request (highest zone Normal) lands at or above 4 GiB when the machine has RAM there,
    /// and that frame is reachable through the direct map; without a Normal zone it falls back below.
    /// </summary>
    private static void OrdinaryFrame(TestContext test, FrameAllocator<KernelPhysicalMemory> frames)
    {
        Zone normal = frames.GetZone(ZoneId.Normal);
        ulong free = frames.FreeFrames;
        if (!frames.Allocate(out ulong frame))
        {
            test.Check(false, "ordinary_frame_is_available", "no frame at all");
            return;
        }
        if (normal.FreeFrames == 0)
        {
            test.Check(frame < Zone.Dma32End, "ordinary_frame_falls_back_below_4_GiB_without_a_normal_zone", "frame above 4 GiB without a Normal zone");
        }
        else
        {
            test.Check(frame >= Zone.Dma32End && Zone.Of(frame) == ZoneId.Normal, "normal_zone.ordinary_frame_lies_at_or_above_4_GiB", "an ordinary frame came from below 4 GiB although the Normal zone has frames");
            test.CheckEqual(normal.FreeFrames - 1, frames.GetZone(ZoneId.Normal).FreeFrames, "normal_zone.free_count_drops_by_one");
        }
        ulong* first = (ulong*)PhysicalMemory.ToVirtual(frame);
        ulong* last = (ulong*)PhysicalMemory.ToVirtual(frame + PageSize - sizeof(ulong));
        *first = DirectMapPattern;
        *last = ~DirectMapPattern ^ frame;
        bool translated = MemoryManager.Mapper.Translate((ulong)last, out Mem.Paging.Translation translation) == Mem.Paging.PagingStatus.Success
            && translation.PhysicalAddress == frame + PageSize - sizeof(ulong);
        test.Check(*first == DirectMapPattern && *last == (~DirectMapPattern ^ frame) && translated,
            normal.FreeFrames == 0 ? "ordinary_frame_is_written_and_read_through_the_direct_map" : "normal_zone.frame_is_written_and_read_through_the_direct_map",
            "the direct map does not reach the frame, or does not keep what was written");
        test.Check(frames.Free(frame) == FrameFreeStatus.Ok && frames.FreeFrames == free, "ordinary_frame_frees", "the frame did not go back");
    }

    /// <summary>
    /// A run of <paramref name="count"/> frames in <paramref name="zone"/> or below lies below the zone's
    /// end, takes exactly <paramref name="count"/> frames, and each of its frames is allocated: freeing
    /// them one by one succeeds for every frame, after which freeing the run again is refused.
    /// </summary>
    private static void RunBelow(TestContext test, FrameAllocator<KernelPhysicalMemory> frames, ulong count, ZoneId zone, string name)
    {
        ulong free = frames.FreeFrames;
        FrameAllocationStatus status = frames.AllocateRun(count, zone, out ulong run);
        if (status != FrameAllocationStatus.Ok)
        {
            test.Check(false, name, "no run was had");
            return;
        }
        bool inLimit = (run & MemConstants.PageMask) == 0 && run + count * PageSize <= Zone.EndOf(zone);
        bool counted = frames.FreeFrames == free - count;
        bool everyFrameAllocated = true;
        for (ulong i = 0; i < count; i++)
        {
            everyFrameAllocated &= frames.Free(run + i * PageSize) == FrameFreeStatus.Ok;
        }
        ulong afterFree = frames.FreeFrames;
        bool secondFreeRefused = frames.FreeRun(run, count) == FrameFreeStatus.AlreadyFree && frames.FreeFrames == afterFree;
        test.Check(inLimit, name, "the run lies above the zone's limit");
        test.Check(counted, zone == ZoneId.Dma ? "run_below_16_MiB_takes_exactly_its_frames" : "run_of_100_takes_exactly_its_frames", "the free count did not drop by the run's length");
        test.Check(everyFrameAllocated && afterFree == free, zone == ZoneId.Dma ? "run_below_16_MiB_frames_free_one_by_one" : "run_of_100_frames_free_one_by_one", "a frame of the run was not marked allocated");
        test.Check(secondFreeRefused, zone == ZoneId.Dma ? "run_below_16_MiB_double_free_is_refused" : "run_of_100_double_free_is_refused", "freeing the run again was accepted or changed the count");
    }

    /// <summary>The ISA DMA shape: 64 KiB, 64 KiB aligned, below 16 MiB, within one 64 KiB block.</summary>
    private static void IsaDmaBuffer(TestContext test, FrameAllocator<KernelPhysicalMemory> frames)
    {
        ulong free = frames.FreeFrames;
        FrameAllocationStatus status = frames.AllocateRun(IsaDmaFrames, IsaDmaBoundary, 0, IsaDmaLimit, IsaDmaBoundary, out ulong run);
        ulong last = run + IsaDmaBoundary - 1;
        bool shape = status == FrameAllocationStatus.Ok
            && run % IsaDmaBoundary == 0
            && last < IsaDmaLimit
            && (run & ~(IsaDmaBoundary - 1)) == (last & ~(IsaDmaBoundary - 1));
        test.Check(shape, "isa_dma_buffer_is_aligned_below_16_MiB_and_crosses_no_64_KiB_boundary", "run missing, misaligned, too high or crossing 64 KiB");
        test.Check(status == FrameAllocationStatus.Ok && frames.FreeFrames == free - IsaDmaFrames && frames.FreeRun(run, IsaDmaFrames) == FrameFreeStatus.Ok && frames.FreeFrames == free,
            "isa_dma_buffer_takes_and_returns_16_frames", "the free count did not drop and recover by 16");
    }

    /// <summary>
    /// Alignment above the run's size, and a boundary that forces the start past a lower limit that sits
    /// just under a boundary (the allocator must move the run to the next boundary, not straddle it).
    /// </summary>
    private static void AlignedAndBoundedRuns(TestContext test, FrameAllocator<KernelPhysicalMemory> frames)
    {
        ulong free = frames.FreeFrames;
        const ulong LargeAlignment = MemConstants.LargePageSize;
        FrameAllocationStatus status = frames.AllocateRun(1, LargeAlignment, 0, FrameAllocator<KernelPhysicalMemory>.NoLimit, 0, out ulong aligned);
        bool alignedOk = status == FrameAllocationStatus.Ok && aligned % LargeAlignment == 0;
        if (status == FrameAllocationStatus.Ok)
        {
            frames.Free(aligned);
        }
        test.Check(alignedOk && frames.FreeFrames == free, "run_honours_an_alignment_larger_than_itself", "single frame not on a 2 MiB boundary");

        const ulong Boundary = 16 * MemConstants.KiB;
        const ulong Count = 3;
        // A window of two boundaries' worth of free frames below 16 MiB, wherever free memory is (a program
        // may hold all but the kernel's reserve), and a lower limit 12 KiB into it: a 3-frame run from there
        // would cross the next boundary.
        const ulong WindowFrames = 2 * Boundary / PageSize;
        bool windowFound = frames.AllocateRun(WindowFrames, Boundary, 0, Zone.DmaEnd, 0, out ulong window) == FrameAllocationStatus.Ok;
        if (windowFound)
        {
            frames.FreeRun(window, WindowFrames);
        }
        ulong low = window + 3 * PageSize;
        ulong high = window + WindowFrames * PageSize;
        ulong bounded = 0;
        status = FrameAllocationStatus.OutOfMemory;
        if (windowFound)
        {
            status = frames.AllocateRun(Count, PageSize, low, high, Boundary, out bounded);
        }
        ulong end = bounded + Count * PageSize;
        bool boundedOk = status == FrameAllocationStatus.Ok
            && bounded >= low && end <= high
            && (bounded & ~(Boundary - 1)) == ((end - 1) & ~(Boundary - 1));
        if (status == FrameAllocationStatus.Ok)
        {
            frames.FreeRun(bounded, Count);
        }
        test.Check(boundedOk && frames.FreeFrames == free, "run_honours_low_limit_and_boundary", "no free 32 KiB below 16 MiB, or a run below the lower limit, past the window or crossing a 16 KiB boundary");
    }

    private static void InvalidRequests(TestContext test, FrameAllocator<KernelPhysicalMemory> frames)
    {
        ulong free = frames.FreeFrames;
        bool invalid = frames.AllocateRun(0, ZoneId.Normal, out _) == FrameAllocationStatus.InvalidRequest
            && frames.AllocateRun(FrameAllocator<KernelPhysicalMemory>.MaxRunFrames + 1, ZoneId.Normal, out _) == FrameAllocationStatus.InvalidRequest
            && frames.AllocateRun(4, PageSize, 0, FrameAllocator<KernelPhysicalMemory>.NoLimit, 2 * PageSize, out _) == FrameAllocationStatus.InvalidRequest
            && frames.AllocateRun(1, 3 * PageSize, 0, FrameAllocator<KernelPhysicalMemory>.NoLimit, 0, out _) == FrameAllocationStatus.InvalidRequest;
        test.Check(invalid && frames.FreeFrames == free, "impossible_run_requests_are_refused_without_effect", "an impossible request was accepted or changed the free count");
    }

    /// <summary>
    /// A double free, a frame the allocator never manages (its own mem_map), a misaligned address and one
    /// past the managed range: each refused with its own status, counted, and the free count unchanged.
    /// </summary>
    private static void BadFrees(TestContext test, FrameAllocator<KernelPhysicalMemory> frames)
    {
        if (!frames.Allocate(ZoneId.Dma32, out ulong frame))
        {
            test.Check(false, "double_free_is_refused", "no frame to free twice");
            return;
        }
        ulong free = frames.FreeFrames;
        ulong rejected = frames.RejectedFrees;

        FrameFreeStatus misaligned = frames.Free(frame + 8);
        bool misalignedOk = misaligned == FrameFreeStatus.Misaligned && frames.FreeFrames == free;
        bool freed = frames.Free(frame) == FrameFreeStatus.Ok && frames.FreeFrames == free + 1;
        ulong afterFree = frames.FreeFrames;
        ulong doubleBefore = frames.RejectedFreeCount(FrameFreeStatus.AlreadyFree);
        bool doubleOk = frames.Free(frame) == FrameFreeStatus.AlreadyFree
            && frames.FreeFrames == afterFree
            && frames.RejectedFreeCount(FrameFreeStatus.AlreadyFree) == doubleBefore + 1
            && frames.LastRejectedFree == frame;
        bool metadataOk = frames.Free(frames.MetadataBase) == FrameFreeStatus.NotManaged && frames.FreeFrames == afterFree;
        bool outsideOk = frames.Free(frames.ManagedEnd) == FrameFreeStatus.OutsideManagedRange && frames.FreeFrames == afterFree;

        test.Check(misalignedOk && freed, "misaligned_free_is_refused_and_the_frame_stays_allocated", "a misaligned free was accepted or freed the frame");
        test.Check(doubleOk, "double_free_is_refused_without_changing_free_frames", "second free accepted, or counts changed");
        test.Check(metadataOk, "free_of_a_frame_never_handed_out_is_refused", "freeing the mem_map's own frame was not NotManaged, or counts changed");
        test.Check(outsideOk, "free_outside_the_managed_range_is_refused", "freeing past the managed range was not OutsideManagedRange");
        test.CheckEqual(rejected + 4, frames.RejectedFrees, "refused_frees_are_counted");
    }
}
