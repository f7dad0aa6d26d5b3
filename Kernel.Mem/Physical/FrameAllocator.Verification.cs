namespace Kernel.Mem.Physical;

// The verifiers for tests and self-tests: the free lists against the mem_map, and every frame's state against the
// blocks.
public sealed unsafe partial class FrameAllocator<TMem>
    where TMem : struct, IPhysicalMemory
{
    /// <summary>
    /// Checks the free lists against the counters: every listed block is a correctly aligned free head of
    /// the list's order and zone, back links match, every cached frame is marked so and in its zone's cache, and
    /// block, cached and free frame counts agree. O(free blocks).
    /// </summary>
    public bool VerifyFreeLists()
    {
        ulong state = _lock.Enter();
        bool valid = VerifyFreeListsLocked();
        _lock.Exit(state);
        return valid;
    }

    private bool VerifyFreeListsLocked()
    {
        for (int zone = 0; zone < Zone.Count; zone++)
        {
            ulong freeFrames = 0;
            for (int order = 0; order <= MaxOrder; order++)
            {
                ulong blocks = 0;
                uint previous = FrameEntry.NoFrame;
                uint block = _freeHeads[ListIndex(zone, order)];
                while (block != FrameEntry.NoFrame)
                {
                    if (block >= _frameSpan || blocks > _frameSpan)
                    {
                        return false;
                    }
                    FrameEntry entry = *EntryAt(block);
                    ulong frame = _firstFrame + block;
                    if (entry.State != FrameState.FreeHead || entry.Order != order || entry.Prev != previous
                        || (frame & ((1UL << order) - 1)) != 0 || ZoneOfFrame(frame) != zone
                        || (ulong)block + (1UL << order) > _frameSpan)
                    {
                        return false;
                    }
                    blocks++;
                    previous = block;
                    block = entry.Next;
                }
                if (blocks != _freeBlockCounts[ListIndex(zone, order)])
                {
                    return false;
                }
                freeFrames += blocks << order;
            }
            ulong cached = 0;
            for (uint frame = _cacheHeads[zone]; frame != FrameEntry.NoFrame; frame = EntryAt(frame)->Next)
            {
                if (frame >= _frameSpan || cached >= CacheCapacity || EntryAt(frame)->State != FrameState.Cached
                    || ZoneOfFrame(_firstFrame + frame) != zone)
                {
                    return false;
                }
                cached++;
            }
            if (cached != _cacheCounts[zone] || freeFrames + cached != _zoneFreeFrames[zone])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Checks every mem_map entry: each free head is followed by exactly its block of free frames (entries
    /// that hold their state alone, so no tag survives a free), no two buddies of one order are both free
    /// (coalescing is maximal), and per zone the free and allocated frames add up to the counters.
    /// O(frames): for self-tests.
    /// </summary>
    public bool VerifyFrameStates()
    {
        ulong state = _lock.Enter();
        bool valid = VerifyFrameStatesLocked();
        _lock.Exit(state);
        return valid;
    }

    private bool VerifyFrameStatesLocked()
    {
        ulong* free = stackalloc ulong[Zone.Count];
        ulong* managed = stackalloc ulong[Zone.Count];
        for (int zone = 0; zone < Zone.Count; zone++)
        {
            free[zone] = 0;
            managed[zone] = 0;
        }

        ulong index = 0;
        while (index < _frameSpan)
        {
            FrameEntry entry = *EntryAt((uint)index);
            int zone = ZoneOfFrame(_firstFrame + index);
            switch (entry.State)
            {
                case FrameState.FreeHead:
                {
                    int order = entry.Order;
                    ulong blockFrames = 1UL << order;
                    if (index + blockFrames > _frameSpan)
                    {
                        return false;
                    }
                    for (ulong tail = 1; tail < blockFrames; tail++)
                    {
                        // A tail keeps nothing but its state: no links of an old head, no owner's tag.
                        FrameEntry tailEntry = *EntryAt((uint)(index + tail));
                        if (tailEntry.State != FrameState.Free || !tailEntry.IsStateAlone)
                        {
                            return false;
                        }
                    }
                    ulong buddy = (_firstFrame + index) ^ blockFrames;
                    if (order < MaxOrder && buddy >= _firstFrame && buddy - _firstFrame < _frameSpan)
                    {
                        FrameEntry buddyEntry = *EntryAt((uint)(buddy - _firstFrame));
                        if (buddyEntry.State == FrameState.FreeHead && buddyEntry.Order == order)
                        {
                            return false;
                        }
                    }
                    free[zone] += blockFrames;
                    managed[zone] += blockFrames;
                    index += blockFrames;
                    continue;
                }
                case FrameState.Free:
                    // A free frame outside any free block.
                    return false;
                case FrameState.Cached:
                    free[zone]++;
                    managed[zone]++;
                    break;
                case FrameState.Allocated:
                    // A tag is confined to the link bits; an order here would mean it overflowed them.
                    if (entry.Order != 0)
                    {
                        return false;
                    }
                    managed[zone]++;
                    break;
            }
            index++;
        }

        for (int zone = 0; zone < Zone.Count; zone++)
        {
            if (free[zone] != _zoneFreeFrames[zone] || managed[zone] != _zoneTotalFrames[zone])
            {
                return false;
            }
        }
        return true;
    }
}
