using Kernel.Arch;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.Pebble;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// The bucket/pebble allocator on real frames: every constraint checked on physical addresses (below
/// 16 MiB, below 4 GiB, alignment, a 64 KiB boundary), contiguity checked against the page tables and
/// the frame allocator, virtual buckets really mapped, realloc that moves with all its contents and a
/// failed realloc that keeps the original, double and foreign frees, release by owner, exact counter
/// deltas, and no frame leaked at the end.
/// </summary>
internal sealed unsafe class PebbleSuite : SelfTestSuite
{
    private const uint TestOwner = 0x7E57;
    private const ulong IsaBoundary = 64 * MemConstants.KiB;
    private const ulong IsaBytes = 16 * MemConstants.KiB;
    private const ulong Hardware32Bytes = 200 * MemConstants.KiB;
    private const ulong VirtualBytes = 100 * MemConstants.KiB;
    private const ulong GrowBytes = 16 * MemConstants.KiB;
    private const ulong PatternSeed = 0xC0FFEE;

    // Pebbles the test owner still holds when FreeOwnedBy runs: isa, hw32, aligned, virt.
    private const ulong OwnedAtTheEnd = 4;

    public override string Name => "pebble";

    public override void Run(TestContext test)
    {
        PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> pebbles = MemoryManager.Pebbles;
        ulong freeFramesBefore = MemoryManager.Frames.FreeFrames;
        PebbleStatistics before = pebbles.GetStatistics();

        // ISA DMA shape: 16 KiB below 16 MiB, physically contiguous, not crossing 64 KiB.
        byte* isa = (byte*)pebbles.Allocate(IsaBytes, 0, IsaBoundary, PebbleFlags.Below16MiB | PebbleFlags.Physical | PebbleFlags.Clear, "selftest-isa", TestOwner);
        ulong isaPhysical = pebbles.PhysicalAddress(isa);
        test.Check(isa != null && isaPhysical + IsaBytes <= 16 * MemConstants.MiB, "below_16_mib_on_the_physical_address", "buffer missing or above 16 MiB");
        test.Check(isa != null && isaPhysical / IsaBoundary == (isaPhysical + IsaBytes - 1) / IsaBoundary, "does_not_cross_a_64_kib_boundary", "buffer crosses a 64 KiB line");
        test.Check(isa != null && IsContiguous(pebbles, isa, IsaBytes), "physical_pebble_pages_map_consecutive_allocated_frames",
            "a page does not translate to the next frame, or a frame under it is free in the frame allocator");
        test.Check(isa != null && IsZero(isa, IsaBytes), "physical_pebble_is_cleared", "not zeroed");

        byte* hw32 = (byte*)pebbles.Allocate(Hardware32Bytes, 0, 0, PebbleFlags.Hardware32, "selftest-hw32", TestOwner);
        ulong hw32Physical = pebbles.PhysicalAddress(hw32);
        test.Check(hw32 != null && hw32Physical + Hardware32Bytes <= 4 * MemConstants.GiB && IsContiguous(pebbles, hw32, Hardware32Bytes), "hardware32_is_below_4_gib_and_contiguous", "HARDWARE32 buffer above 4 GiB or not contiguous");

        byte* aligned = (byte*)pebbles.Allocate(4 * MemConstants.KiB, MemConstants.MiB, 0, PebbleFlags.Hardware64 | PebbleFlags.Aligned, "selftest-align", TestOwner);
        test.Check(aligned != null && MemConstants.IsAligned(pebbles.PhysicalAddress(aligned), MemConstants.MiB), "one_mib_alignment_on_the_physical_address", "not 1 MiB aligned");

        byte* virt = (byte*)pebbles.Allocate(VirtualBytes, 0, 0, PebbleFlags.Virtual | PebbleFlags.Clear, "selftest-virt", TestOwner);
        bool mapped = virt != null && IsZero(virt, VirtualBytes);
        if (mapped)
        {
            for (ulong i = 0; i < VirtualBytes; i += MemConstants.PageSize)
            {
                virt[i] = (byte)(i >> 12);
                mapped &= FaultProbe.TryRead((ulong)(virt + i), out byte value) && value == (byte)(i >> 12);
            }
        }
        test.Check(mapped, "virtual_pebble_is_mapped_and_writable", "virtual bucket pages not usable");
        test.Check(virt != null && PagesAreBackedByAllocatedFrames(pebbles, virt, VirtualBytes), "virtual_pebble_pages_are_backed_by_allocated_frames",
            "a page is unmapped, translates elsewhere than PhysicalAddress says, or its frame is free");

        Reallocation(test, pebbles);

        byte* victim = (byte*)pebbles.Allocate(256, 0, 0, PebbleFlags.Hardware64, "selftest-victim", TestOwner);
        test.Check(pebbles.Free(victim, TestOwner + 1) == PebbleStatus.NotOwner, "free_by_another_owner_is_refused", "another owner freed the pebble");
        test.Check(pebbles.Free(victim, TestOwner) == PebbleStatus.Ok, "free_returns_ok", "first free failed");
        test.Check(pebbles.Free(victim, TestOwner) == PebbleStatus.DoubleFree, "double_free_is_detected_after_merge", "second free not reported as a double free");
        ulong foreign = 0;
        test.Check(pebbles.Free(&foreign, TestOwner) == PebbleStatus.ForeignPointer, "foreign_pointer_is_rejected", "a stack address was not rejected");
        test.Check(pebbles.Verify(), "allocator_invariants_hold", "Verify() found an inconsistency");

        int released = pebbles.FreeOwnedBy(TestOwner);
        test.CheckEqual(OwnedAtTheEnd, (ulong)released, "free_owned_by_releases_every_pebble_of_the_owner");
        PebbleStatistics after = pebbles.GetStatistics();
        test.CheckEqual((ulong)before.Buckets, (ulong)after.Buckets, "empty_buckets_are_released");
        test.CheckEqual(before.PebblesInUse, after.PebblesInUse, "no_pebble_left_in_use");
        test.CheckEqual(before.RequestedBytes, after.RequestedBytes, "no_requested_byte_left_in_use");
        test.CheckEqual(freeFramesBefore, MemoryManager.Frames.FreeFrames, "no_frame_leaked");

        // Every call above, counted: 8 allocation attempts (isa, hw32, aligned, virt, grow, the move of
        // grow, the failed move, victim), 1 of them failed; 7 frees (the old pebble of the move, the
        // moved pebble, victim, 4 by owner); 2 reallocations; 1 double free; 1 foreign pointer.
        test.CheckEqual(8, after.Allocations - before.Allocations, "statistics.allocations_count_every_attempt");
        test.CheckEqual(1, after.FailedAllocations - before.FailedAllocations, "statistics.failed_allocations_count_the_failed_move");
        test.CheckEqual(7, after.Frees - before.Frees, "statistics.frees_count_explicit_moved_and_owned");
        test.CheckEqual(2, after.Reallocations - before.Reallocations, "statistics.reallocations_count_each_call");
        test.CheckEqual(1, after.DoubleFrees - before.DoubleFrees, "statistics.double_frees_counted_once");
        test.CheckEqual(1, after.ForeignPointers - before.ForeignPointers, "statistics.foreign_pointers_counted_once");
        test.CheckEqual(1, after.NotOwner - before.NotOwner, "statistics.frees_by_another_owner_counted_once");
        test.Check(after.BucketsCreated > before.BucketsCreated
            && after.BucketsCreated - before.BucketsCreated == after.BucketsReleased - before.BucketsReleased,
            "statistics.every_bucket_created_was_released", "buckets created and released differ");
    }

    /// <summary>
    /// A 16 KiB contiguous pebble filled with a pattern grows past the whole bucket it lives in, so it must
    /// move: to a new place, with all 16 KiB intact, still contiguous. Then a growth larger than all of RAM
    /// fails: null, the counters say so, and the original is untouched and frees normally.
    /// </summary>
    private static void Reallocation(TestContext test, PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> pebbles)
    {
        byte* grow = (byte*)pebbles.Allocate(GrowBytes, 0, 0, PebbleFlags.Hardware32, "selftest-grow", TestOwner);
        if (grow == null || !TryFindBucket(pebbles, grow, out BucketInfo home))
        {
            test.Check(false, "realloc.pebble_to_grow_is_allocated", "allocation failed or no bucket holds it");
            return;
        }
        Fill(grow, GrowBytes);
        ulong grownBytes = home.VirtualEnd - home.VirtualStart + IsaBoundary;
        byte* moved = (byte*)pebbles.Reallocate(grow, grownBytes, TestOwner);
        bool outside = moved != null && ((ulong)moved < home.VirtualStart || (ulong)moved >= home.VirtualEnd);
        test.Check(outside, "realloc.growing_past_its_bucket_moves_the_pebble", "null, or the pebble stayed in its old bucket");
        if (moved == null)
        {
            return;
        }
        test.Check(Holds(moved, GrowBytes), "realloc.move_keeps_all_the_old_contents", "a byte of the old 16 KiB differs after the move");
        test.Check(IsContiguous(pebbles, moved, grownBytes), "realloc.moved_pebble_is_contiguous_like_the_original", "the moved pebble's pages are not consecutive allocated frames");

        PebbleStatistics beforeFailure = pebbles.GetStatistics();
        ulong freeFrames = MemoryManager.Frames.FreeFrames;
        ulong physical = pebbles.PhysicalAddress(moved);
        ulong moreThanRam = (MemoryManager.Frames.TotalFrames << MemConstants.PageShift) + MemConstants.MiB;
        void* refused = pebbles.Reallocate(moved, moreThanRam, TestOwner);
        PebbleStatistics afterFailure = pebbles.GetStatistics();
        test.Check(refused == null, "realloc.larger_than_any_bucket_returns_null", "a realloc larger than RAM succeeded");
        test.Check(afterFailure.FailedAllocations == beforeFailure.FailedAllocations + 1 && afterFailure.PebblesInUse == beforeFailure.PebblesInUse
            && afterFailure.Buckets == beforeFailure.Buckets && MemoryManager.Frames.FreeFrames == freeFrames,
            "realloc.failure_changes_nothing_but_the_counters", "pebbles, buckets or frames changed, or the failure was not counted");
        test.Check(Holds(moved, GrowBytes) && pebbles.PhysicalAddress(moved) == physical, "realloc.failure_keeps_the_original_intact", "the original moved or lost contents");
        test.Check(pebbles.Free(moved, TestOwner) == PebbleStatus.Ok, "realloc.original_frees_after_a_failure", "the original could not be freed");
    }

    private static bool TryFindBucket(PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> pebbles, byte* pointer, out BucketInfo found)
    {
        ulong cursor = 0;
        while (pebbles.NextBucket(ref cursor, out BucketInfo info))
        {
            if ((ulong)pointer >= info.VirtualStart && (ulong)pointer < info.VirtualEnd)
            {
                found = info;
                return true;
            }
        }
        found = default;
        return false;
    }

    /// <summary>
    /// Physical contiguity, from three sources that must agree for every page of
    /// [<paramref name="start"/>, +<paramref name="size"/>): the allocator's PhysicalAddress, the page tables
    /// (the kernel mapper's translation of the page), which must give consecutive frames, and the frame
    /// allocator, which must hold each of those frames as allocated (a read-only query).
    /// </summary>
    private static bool IsContiguous(PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> pebbles, byte* start, ulong size)
    {
        ulong first = pebbles.PhysicalAddress(start);
        if (first == 0)
        {
            return false;
        }
        ulong firstPage = MemConstants.AlignDown((ulong)start, MemConstants.PageSize);
        ulong firstFrame = MemConstants.AlignDown(first, MemConstants.PageSize);
        for (ulong page = firstPage; page < (ulong)start + size; page += MemConstants.PageSize)
        {
            ulong frame = firstFrame + (page - firstPage);
            ulong inPage = page < (ulong)start ? (ulong)start : page;
            if (pebbles.PhysicalAddress((byte*)inPage) != frame + (inPage - page))
            {
                return false;
            }
            if (MemoryManager.Mapper.Translate(page, out Translation translation) != PagingStatus.Success || translation.PhysicalAddress != frame)
            {
                return false;
            }
            if (!MemoryManager.Frames.TryGetFrameTag(frame, out _))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Every page of a virtual pebble translates to the frame PhysicalAddress names, and that frame is allocated.</summary>
    private static bool PagesAreBackedByAllocatedFrames(PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> pebbles, byte* start, ulong size)
    {
        for (ulong offset = 0; offset < size; offset += MemConstants.PageSize)
        {
            ulong page = MemConstants.AlignDown((ulong)(start + offset), MemConstants.PageSize);
            if (MemoryManager.Mapper.Translate(page, out Translation translation) != PagingStatus.Success)
            {
                return false;
            }
            ulong frame = translation.PhysicalAddress;
            if (pebbles.PhysicalAddress(start + offset) != frame + ((ulong)(start + offset) - page) || !MemoryManager.Frames.TryGetFrameTag(frame, out _))
            {
                return false;
            }
        }
        return true;
    }

    private static byte PatternByte(ulong index) => (byte)(PatternSeed + index * 7 + (index >> 9));

    private static void Fill(byte* start, ulong size)
    {
        for (ulong i = 0; i < size; i++)
        {
            start[i] = PatternByte(i);
        }
    }

    private static bool Holds(byte* start, ulong size)
    {
        for (ulong i = 0; i < size; i++)
        {
            if (start[i] != PatternByte(i))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsZero(byte* start, ulong size)
    {
        for (ulong i = 0; i < size; i++)
        {
            if (start[i] != 0)
            {
                return false;
            }
        }
        return true;
    }
}
