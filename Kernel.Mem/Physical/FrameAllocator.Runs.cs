using System.Numerics;

namespace Kernel.Mem.Physical;

// Contiguous runs: the contigmalloc-style search for a run of frames under limits, alignment and boundary, first
// inside one free block, then across blocks by scanning the mem_map, and the measure of the largest free run.
public sealed unsafe partial class FrameAllocator<TMem>
    where TMem : struct, IPhysicalMemory
{
    /// <summary>Allocates <paramref name="frameCount"/> physically contiguous frames anywhere.</summary>
    public FrameAllocationStatus AllocateRun(ulong frameCount, out ulong physical)
        => AllocateRun(frameCount, MemConstants.PageSize, 0, NoLimit, 0, out physical);

    /// <summary>Allocates <paramref name="frameCount"/> contiguous frames from <paramref name="highestZone"/> or below.</summary>
    public FrameAllocationStatus AllocateRun(ulong frameCount, ZoneId highestZone, out ulong physical)
    {
        if ((uint)highestZone >= Zone.Count)
        {
            physical = 0;
            return FrameAllocationStatus.InvalidRequest;
        }
        return AllocateRun(frameCount, MemConstants.PageSize, 0, Zone.EndOf(highestZone), 0, out physical);
    }

    /// <summary>
    /// Allocates <paramref name="frameCount"/> physically contiguous frames in the manner of FreeBSD's
    /// contigmalloc: the run lies in [<paramref name="low"/>, <paramref name="high"/>), starts on a
    /// multiple of <paramref name="alignment"/>, and does not cross a multiple of
    /// <paramref name="boundary"/>. Zones are tried from Normal down, skipping those outside the limits;
    /// a run never straddles two zones. In each zone the fast path looks for one free block that holds
    /// the run (frames of it that the run does not use go straight back to the free lists); when none
    /// does, or the run is longer than <see cref="MaxBlockFrames"/>, the fallback scans the zone's
    /// mem_map within the limits for the lowest qualifying stretch of free frames, in O(frames scanned).
    /// A lower zone is used only when no stretch in a higher one qualifies; the request fails only when
    /// no allowed zone has one.
    /// </summary>
    /// <param name="frameCount">1 to <see cref="MaxRunFrames"/>; need not be a power of two.</param>
    /// <param name="alignment">A power of two in bytes; 0 or anything below a page means page alignment.</param>
    /// <param name="low">Lowest acceptable start address.</param>
    /// <param name="high">Exclusive upper limit for the end of the run; <see cref="NoLimit"/> for none.</param>
    /// <param name="boundary">A power of two in bytes, at least the run's size; 0 for none.</param>
    public FrameAllocationStatus AllocateRun(
        ulong frameCount, ulong alignment, ulong low, ulong high, ulong boundary, out ulong physical)
    {
        ulong state = _lock.Enter();
        FrameAllocationStatus status = AllocateRunLocked(frameCount, alignment, low, high, boundary, out physical);
        _lock.Exit(state);
        return status;
    }

    private FrameAllocationStatus AllocateRunLocked(
        ulong frameCount, ulong alignment, ulong low, ulong high, ulong boundary, out ulong physical)
    {
        physical = 0;
        // A run may need the cached frames: back into their blocks first, merging as they go.
        DrainCacheLocked();
        if (frameCount == 0 || frameCount > MaxRunFrames)
        {
            return FrameAllocationStatus.InvalidRequest;
        }
        ulong runBytes = frameCount << MemConstants.PageShift;
        if (alignment < MemConstants.PageSize)
        {
            alignment = MemConstants.PageSize;
        }
        if (!BitOperations.IsPow2(alignment) || alignment >= MemoryMap.PhysicalAddressLimit)
        {
            return FrameAllocationStatus.InvalidRequest;
        }
        if (boundary != 0 && (!BitOperations.IsPow2(boundary) || boundary < runBytes))
        {
            return FrameAllocationStatus.InvalidRequest;
        }
        if (boundary >= MemoryMap.PhysicalAddressLimit)
        {
            boundary = 0;
        }
        if (high > MemoryMap.PhysicalAddressLimit)
        {
            high = MemoryMap.PhysicalAddressLimit;
        }
        if (low >= high)
        {
            return FrameAllocationStatus.InvalidRequest;
        }

        // A run longer than the largest block skips the fast path: its first order is past the last.
        int minOrder = frameCount <= MaxBlockFrames
            ? BitOperations.Log2(BitOperations.RoundUpToPowerOf2(frameCount))
            : OrderCount;
        for (int zone = Zone.Count - 1; zone >= 0; zone--)
        {
            if (Zone.StartOf((ZoneId)zone) >= high || Zone.EndOf((ZoneId)zone) <= low
                || _zoneFreeFrames[zone] < frameCount)
            {
                continue;
            }
            for (int order = minOrder; order <= MaxOrder; order++)
            {
                // An unconstrained request takes the first block it meets; only limits, alignment and
                // boundary make this walk go further down a list.
                for (uint block = _freeHeads[ListIndex(zone, order)]; block != FrameEntry.NoFrame; block = EntryAt(block)->Next)
                {
                    if (TryFitRun(block, order, runBytes, alignment, low, high, boundary, out ulong start))
                    {
                        CarveRun(zone, block, order, IndexOf(start), (uint)frameCount);
                        physical = start;
                        return FrameAllocationStatus.Ok;
                    }
                }
            }
            if (TryFindFreeStretch(zone, frameCount, alignment, low, high, boundary, out uint stretch))
            {
                TakeStretch(zone, stretch, (uint)frameCount);
                physical = AddressOf(stretch);
                return FrameAllocationStatus.Ok;
            }
        }
        return FrameAllocationStatus.OutOfMemory;
    }

    /// <summary>
    /// The longest run of free frames in a zone, whether or not the blocks that make it up are buddies.
    /// Walks the zone's mem_map (skipping free blocks whole): for statistics, not for allocation paths.
    /// </summary>
    public ulong MeasureLargestFreeRun(ZoneId id)
    {
        if ((uint)id >= Zone.Count)
        {
            return 0;
        }
        ulong state = _lock.Enter();
        ulong largest = MeasureLargestFreeRunLocked(id);
        _lock.Exit(state);
        return largest;
    }

    private ulong MeasureLargestFreeRunLocked(ZoneId id)
    {
        ulong end = _firstFrame + _frameSpan;
        ulong frame = Zone.StartOf(id) >> MemConstants.PageShift;
        ulong zoneEnd = Zone.EndOf(id) >> MemConstants.PageShift;
        frame = frame > _firstFrame ? frame : _firstFrame;
        end = end < zoneEnd ? end : zoneEnd;

        ulong largest = 0;
        ulong current = 0;
        while (frame < end)
        {
            FrameEntry entry = *EntryAt((uint)(frame - _firstFrame));
            if (entry.State == FrameState.FreeHead)
            {
                ulong blockFrames = 1UL << entry.Order;
                current += blockFrames;
                frame += blockFrames;
                continue;
            }
            if (entry.State == FrameState.Free || entry.State == FrameState.Cached)
            {
                // A cached frame is free; a lone Free entry is unreachable while the invariants hold (the walk
                // lands only on block heads) and counted anyway.
                current++;
            }
            else
            {
                largest = current > largest ? current : largest;
                current = 0;
            }
            frame++;
        }
        return current > largest ? current : largest;
    }

    /// <summary>
    /// Whether a run of <paramref name="runBytes"/> that meets the limits fits in the free block at
    /// <paramref name="block"/>; if so, <paramref name="start"/> is the lowest such run's address.
    /// </summary>
    private bool TryFitRun(
        uint block, int order, ulong runBytes, ulong alignment, ulong low, ulong high, ulong boundary, out ulong start)
    {
        ulong blockBase = AddressOf(block);
        ulong blockEnd = blockBase + (MemConstants.PageSize << order);
        // All values stay below 2^53: addresses are below PhysicalAddressLimit, alignment below half of it.
        start = MemConstants.AlignUp(blockBase > low ? blockBase : low, alignment);
        if (MemConstants.CrossesBoundary(start, runBytes, boundary))
        {
            // The next boundary is aligned too: either alignment <= boundary divides it, or alignment >
            // boundary, and then every aligned start is itself on a boundary and the run (<= boundary)
            // could not have crossed one.
            start = MemConstants.AlignUp(MemConstants.AlignDown(start, boundary) + boundary, alignment);
        }
        ulong limit = blockEnd < high ? blockEnd : high;
        return start + runBytes <= limit;
    }

    /// <summary>
    /// Takes the free block at <paramref name="block"/> off its list, hands out
    /// [<paramref name="run"/>, <paramref name="run"/> + <paramref name="frameCount"/>) from it, and
    /// returns the rest of the block to the free lists.
    /// </summary>
    private void CarveRun(int zone, uint block, int order, uint run, uint frameCount)
    {
        Unlink(zone, block, order);
        *EntryAt(block) = FrameEntry.Of(FrameState.Free);
        uint runEnd = run + frameCount;
        for (uint index = run; index < runEnd; index++)
        {
            *EntryAt(index) = FrameEntry.Allocated(FrameTag.None);
        }
        ReleaseBlocks(block, run);
        ReleaseBlocks(runEnd, block + (1u << order));
        _zoneFreeFrames[zone] -= frameCount;
    }

    /// <summary>
    /// The fallback of run allocation: the mem_map index of the lowest start, in <paramref name="zone"/>,
    /// of <paramref name="frameCount"/> free frames (in any number of free blocks) that meets the limits,
    /// alignment and boundary of the request, all in bytes as <see cref="AllocateRun(ulong, ulong, ulong, ulong, ulong, out ulong)"/>
    /// checked them.
    /// </summary>
    /// <remarks>
    /// Each candidate window is checked from its last frame down, so a busy frame (allocated, reserved, a
    /// hole) moves the next candidate past it, up to a whole run length at a time; free blocks are crossed
    /// in one step each (from a tail to its head); and the frames a failed window proved free are not read
    /// again by the next. So the cost is O(frames between the limits in the zone), usually far less.
    /// </remarks>
    private bool TryFindFreeStretch(
        int zone, ulong frameCount, ulong alignment, ulong low, ulong high, ulong boundary, out uint start)
    {
        start = 0;
        // In frame numbers: starts at or above low, ends at or below high, inside the zone and the mem_map.
        ulong alignFrames = alignment >> MemConstants.PageShift;
        ulong boundaryFrames = boundary >> MemConstants.PageShift;
        ulong first = MemConstants.AlignUp(low, MemConstants.PageSize) >> MemConstants.PageShift;
        ulong zoneFirst = Zone.StartOf((ZoneId)zone) >> MemConstants.PageShift;
        first = first > zoneFirst ? first : zoneFirst;
        first = first > _firstFrame ? first : _firstFrame;
        ulong limit = high >> MemConstants.PageShift;
        ulong zoneLimit = Zone.EndOf((ZoneId)zone) >> MemConstants.PageShift;
        ulong managedLimit = _firstFrame + _frameSpan;
        limit = limit < zoneLimit ? limit : zoneLimit;
        limit = limit < managedLimit ? limit : managedLimit;

        // A failed window proved the frames from just past its last busy frame up to knownFreeEnd free;
        // every later candidate starts past that busy frame, so those frames need no second look.
        ulong knownFreeEnd = 0;
        ulong candidate = MemConstants.AlignUp(first, alignFrames);
        while (true)
        {
            if (MemConstants.CrossesBoundary(candidate, frameCount, boundaryFrames))
            {
                // As in TryFitRun: the next boundary is itself aligned, and the run fits below the one after.
                candidate = MemConstants.AlignUp(MemConstants.AlignDown(candidate, boundaryFrames) + boundaryFrames, alignFrames);
            }
            if (candidate >= limit || limit - candidate < frameCount)
            {
                return false;
            }
            ulong windowEnd = candidate + frameCount;
            ulong unknownFrom = candidate > knownFreeEnd ? candidate : knownFreeEnd;
            ulong busy = LastBusyFrame(unknownFrom, windowEnd);
            if (busy == NoBusyFrame)
            {
                start = (uint)(candidate - _firstFrame);
                return true;
            }
            knownFreeEnd = windowEnd;
            candidate = MemConstants.AlignUp(busy + 1, alignFrames);
        }
    }

    /// <summary>
    /// The highest frame number in [<paramref name="from"/>, <paramref name="end"/>) (managed frames) whose
    /// frame is not free, or <see cref="NoBusyFrame"/>. Walks down, crossing each free block in one step.
    /// </summary>
    private ulong LastBusyFrame(ulong from, ulong end)
    {
        ulong frame = end;
        while (frame > from)
        {
            uint index = (uint)(frame - 1 - _firstFrame);
            switch (EntryAt(index)->State)
            {
                case FrameState.Free:
                    // Everything from this tail down to its block's head is free.
                    frame = _firstFrame + FreeBlockHeadOf(index);
                    break;
                case FrameState.FreeHead:
                    frame--;
                    break;
                default:
                    return frame - 1;
            }
        }
        return NoBusyFrame;
    }

    /// <summary>
    /// The mem_map index of the head of the free block holding the free frame at <paramref name="index"/>.
    /// Blocks are aligned on their size, so the head is the frame number rounded down to the first order
    /// at which a free head stands (any frame between head and tail is a tail): O(orders).
    /// </summary>
    private uint FreeBlockHeadOf(uint index)
    {
        ulong frame = _firstFrame + index;
        for (int order = 0; order <= MaxOrder; order++)
        {
            ulong head = frame & ~((1UL << order) - 1);
            if (head < _firstFrame)
            {
                break;
            }
            FrameEntry entry = *EntryAt((uint)(head - _firstFrame));
            if (entry.State == FrameState.FreeHead)
            {
                // A head whose block ends before the frame would break the invariants; then step one frame.
                return entry.Order >= order ? (uint)(head - _firstFrame) : index;
            }
        }
        return index;
    }

    /// <summary>
    /// Allocates the free frames [<paramref name="first"/>, + <paramref name="frameCount"/>), which may lie
    /// in several free blocks: every block they touch leaves its list, the frames become allocated, and the
    /// parts of the first and last blocks outside them go back as the largest aligned blocks that tile
    /// them ("split around a range", as Linux's alloc_contig_range leaves it). Those parts are smaller than
    /// the block they came from and their buddies lie inside it, so coalescing stays maximal.
    /// </summary>
    private void TakeStretch(int zone, uint first, uint frameCount)
    {
        uint end = first + frameCount;
        uint blocksStart = FreeBlockHeadOf(first);
        uint index = blocksStart;
        // The stretch is all free and the free blocks tile the free frames, so each block ends where the
        // next one's head stands.
        while (index < end)
        {
            int order = EntryAt(index)->Order;
            Unlink(zone, index, order);
            *EntryAt(index) = FrameEntry.Of(FrameState.Free);
            index += 1u << order;
        }
        for (uint frame = first; frame < end; frame++)
        {
            *EntryAt(frame) = FrameEntry.Allocated(FrameTag.None);
        }
        ReleaseBlocks(blocksStart, first);
        ReleaseBlocks(end, index);
        _zoneFreeFrames[zone] -= frameCount;
    }
}
