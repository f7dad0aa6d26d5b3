using Kernel.Mem.Paging;

namespace Kernel.Mem.Pebble;

// Introspection: statistics, the bucket and pebble dump, and the invariant checker for tests and self-tests.
public sealed unsafe partial class PebbleAllocator<TMem, TTlb, TLock>
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
    where TLock : struct, IInterruptLock
{
    /// <summary>Occupancy summed over every bucket under its lock, and the lifetime counters.</summary>
    public PebbleStatistics GetStatistics()
    {
        ulong heapState = _lock.Acquire(ref _heapLock);
        ulong bucketBytes = 0;
        ulong inUse = 0;
        ulong free = 0;
        ulong requested = 0;
        ulong blockBytesInUse = 0;
        ulong largest = 0;
        for (ulong at = _firstBucket; at != 0; at = ((Bucket*)at)->Next)
        {
            Bucket* bucket = (Bucket*)at;
            _lock.AcquireNested(ref bucket->Lock);
            bucketBytes += bucket->Bytes;
            inUse += bucket->PebblesInUse;
            free += bucket->FreePebbles;
            requested += bucket->RequestedInUse;
            blockBytesInUse += bucket->BlockBytesInUse;
            largest = bucket->LargestFree > largest ? bucket->LargestFree : largest;
            _lock.ReleaseNested(ref bucket->Lock);
        }
        ulong headers = (ulong)_bucketCount * Bucket.HeaderBytes + (inUse + free) * Pebble.HeaderBytes;
        var statistics = new PebbleStatistics
        {
            Buckets = _bucketCount,
            BucketBytes = bucketBytes,
            PebblesInUse = inUse,
            FreePebbles = free,
            RequestedBytes = requested,
            CapacityInUse = blockBytesInUse - inUse * Pebble.HeaderBytes,
            FreeBytes = bucketBytes - (ulong)_bucketCount * Bucket.HeaderBytes - blockBytesInUse,
            LargestFree = largest,
            HeaderBytes = headers,
            Allocations = _allocations,
            FailedAllocations = _failedAllocations,
            Frees = _frees,
            Reallocations = _reallocations,
            BucketsCreated = _bucketsCreated,
            BucketsReleased = _bucketsReleased,
            DoubleFrees = _doubleFrees,
            ForeignPointers = _foreignPointers,
            InvalidPointers = _invalidPointers,
            NotOwner = _notOwner,
            Corruptions = _corruptions,
        };
        _lock.Release(ref _heapLock, heapState);
        return statistics;
    }

    /// <summary>
    /// The dump, one bucket per call in address order: start with <paramref name="cursor"/> 0 and call until it
    /// returns false. Buckets created or released between calls are seen or skipped, never repeated.
    /// </summary>
    public bool NextBucket(ref ulong cursor, out BucketInfo info)
    {
        info = default;
        bool found = false;
        ulong heapState = _lock.Acquire(ref _heapLock);
        for (ulong at = _firstBucket; at != 0; at = ((Bucket*)at)->Next)
        {
            if (at > cursor)
            {
                Bucket* bucket = (Bucket*)at;
                _lock.AcquireNested(ref bucket->Lock);
                info = Describe(bucket);
                _lock.ReleaseNested(ref bucket->Lock);
                cursor = at;
                found = true;
                break;
            }
        }
        _lock.Release(ref _heapLock, heapState);
        return found;
    }

    /// <summary>
    /// The dump, one pebble (free or in use) per call, bucket by bucket in address order: start with
    /// <paramref name="cursor"/> 0 and call until it returns false. Each call walks from the start of the
    /// cursor's bucket, so a whole dump is quadratic in the pebbles of a bucket: for a debug display.
    /// </summary>
    public bool NextPebble(ref ulong cursor, out PebbleInfo info)
    {
        info = default;
        bool found = false;
        ulong heapState = _lock.Acquire(ref _heapLock);
        for (ulong at = _firstBucket; at != 0 && !found; at = ((Bucket*)at)->Next)
        {
            Bucket* bucket = (Bucket*)at;
            if (at + bucket->Bytes <= cursor)
            {
                continue;
            }
            _lock.AcquireNested(ref bucket->Lock);
            for (uint offset = FirstPebble; offset != 0; offset = At(bucket, offset)->Next)
            {
                if (at + offset > cursor)
                {
                    info = Describe(bucket, offset);
                    cursor = at + offset;
                    found = true;
                    break;
                }
            }
            _lock.ReleaseNested(ref bucket->Lock);
        }
        _lock.Release(ref _heapLock, heapState);
        return found;
    }

    /// <summary>
    /// Checks every invariant: the bucket list is ordered with matching back links and valid headers within the
    /// type's limit; in each bucket the pebbles tile it exactly with valid headers, no two free pebbles are
    /// neighbours, and the counters and largest free pebble agree with the list. For tests and self-tests.
    /// </summary>
    public bool Verify()
    {
        ulong heapState = _lock.Acquire(ref _heapLock);
        bool ok = true;
        int count = 0;
        ulong previous = 0;
        for (ulong at = _firstBucket; at != 0 && ok; at = ((Bucket*)at)->Next)
        {
            Bucket* bucket = (Bucket*)at;
            count++;
            ok = count <= _bucketCount && at > previous && bucket->Previous == previous
                && bucket->Magic == Bucket.ValidMagic && bucket->Virtual == at
                && bucket->PhysicalEnd <= LimitOf(bucket->Type) && bucket->PhysicalStart < bucket->PhysicalEnd;
            if (ok)
            {
                _lock.AcquireNested(ref bucket->Lock);
                ok = VerifyBucket(bucket);
                _lock.ReleaseNested(ref bucket->Lock);
            }
            previous = at;
        }
        ok = ok && count == _bucketCount;
        _lock.Release(ref _heapLock, heapState);
        return ok;
    }

    private bool VerifyBucket(Bucket* bucket)
    {
        ulong bytes = bucket->Bytes;
        ulong expected = FirstPebble;
        uint previous = 0;
        bool previousFree = false;
        uint inUse = 0;
        uint free = 0;
        ulong requested = 0;
        ulong blockBytes = 0;
        ulong largest = 0;
        uint offset = FirstPebble;
        while (offset != 0)
        {
            Pebble* pebble = At(bucket, offset);
            if (offset != expected || pebble->Magic != Pebble.ValidMagic || pebble->Bucket == 0
                || pebble->Bucket != bucket->Virtual || pebble->Previous != previous
                || pebble->Size < Pebble.MinimumBlockBytes || (pebble->Size & GranuleMask) != 0
                || pebble->Size > bytes - offset)
            {
                return false;
            }
            bool isFree = pebble->State == PebbleState.Free;
            if (isFree)
            {
                if (previousFree)
                {
                    return false;
                }
                free++;
                largest = pebble->Size > largest ? pebble->Size : largest;
            }
            else if (pebble->State == PebbleState.InUse)
            {
                if (pebble->Requested == 0 || pebble->Requested > pebble->Capacity)
                {
                    return false;
                }
                inUse++;
                requested += pebble->Requested;
                blockBytes += pebble->Size;
            }
            else
            {
                return false;
            }
            previousFree = isFree;
            previous = offset;
            expected = offset + pebble->Size;
            offset = pebble->Next;
        }
        return expected == bytes && inUse == bucket->PebblesInUse && free == bucket->FreePebbles
            && requested == bucket->RequestedInUse && blockBytes == bucket->BlockBytesInUse
            && largest == bucket->LargestFree;
    }

    private static BucketInfo Describe(Bucket* bucket) => new BucketInfo
    {
        Type = bucket->Type,
        Policy = bucket->Policy,
        VirtualStart = bucket->Virtual,
        VirtualEnd = bucket->Virtual + bucket->Bytes,
        PhysicalStart = bucket->PhysicalStart,
        PhysicalEnd = bucket->PhysicalEnd,
        IsContiguous = bucket->IsContiguous,
        Pages = bucket->Pages,
        PebblesInUse = bucket->PebblesInUse,
        FreePebbles = bucket->FreePebbles,
        RequestedInUse = bucket->RequestedInUse,
        LargestFree = bucket->LargestFree,
        RunBoundary = bucket->RunBoundary,
    };

    /// <summary>With the heap lock and the bucket's lock held.</summary>
    private PebbleInfo Describe(Bucket* bucket, uint offset)
    {
        Pebble* pebble = At(bucket, offset);
        ulong data = bucket->Virtual + offset + Pebble.HeaderBytes;
        ulong physicalStart = 0;
        ulong physicalEnd = 0;
        if (bucket->IsContiguous)
        {
            physicalStart = bucket->PhysicalStart + offset + Pebble.HeaderBytes;
            physicalEnd = physicalStart + pebble->Capacity;
        }
        else if (_mapper.Translate(data, out Translation translation) == PagingStatus.Success)
        {
            physicalStart = translation.PhysicalAddress;
            physicalEnd = MemConstants.AlignDown(physicalStart, MemConstants.PageSize) + MemConstants.PageSize;
        }
        bool inUse = pebble->State == PebbleState.InUse;
        return new PebbleInfo
        {
            Bucket = bucket->Virtual,
            BucketType = bucket->Type,
            Header = bucket->Virtual + offset,
            VirtualStart = data,
            VirtualEnd = data + pebble->Capacity,
            PhysicalStart = physicalStart,
            PhysicalEnd = physicalEnd,
            IsContiguous = bucket->IsContiguous,
            State = pebble->State,
            Requested = pebble->Requested,
            Capacity = pebble->Capacity,
            Alignment = inUse ? pebble->Alignment : 0,
            Boundary = pebble->Boundary,
            Flags = pebble->RequestFlags,
            Owner = pebble->Owner,
            Name0 = pebble->Name0,
            Name1 = pebble->Name1,
        };
    }
}
