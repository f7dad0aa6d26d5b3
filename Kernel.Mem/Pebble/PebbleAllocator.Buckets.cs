using System.Runtime.CompilerServices;
using Kernel.Mem.Paging;
using Kernel.Mem.Physical;

namespace Kernel.Mem.Pebble;

// Bucket lifecycle: creating a bucket (a frame run or mapped frames), linking it into the address-ordered list,
// unlinking and destroying it.
public sealed unsafe partial class PebbleAllocator<TMem, TTlb, TLock>
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
    where TLock : struct, IInterruptLock
{
    /// <summary>
    /// With the heap lock held: a bucket of <paramref name="type"/> big enough for one pebble of
    /// <paramref name="capacity"/> at any alignment and boundary position, not yet linked. Contiguous buckets
    /// come from one frame run under the type's limit; when the bucket fits inside one boundary window the run
    /// is allocated not to cross the boundary, otherwise the bucket has room to place the pebble past one.
    /// </summary>
    private PebbleStatus CreateBucket(
        PebbleFlags type, PebbleFlags policy, ulong capacity, ulong alignment, ulong boundary, out Bucket* bucket)
    {
        bucket = null;
        bool contiguous = (type & PebbleFlags.Physical) != 0;
        ulong limit = LimitOf(type);
        // An aligned pebble may need a free pebble in front of it: at most the alignment plus a minimal block.
        ulong slack = alignment > Pebble.Granule ? alignment + Pebble.MinimumBlockBytes : 0;
        ulong need = MemConstants.AlignUp(Bucket.HeaderBytes + Pebble.HeaderBytes + capacity + slack, MemConstants.PageSize);
        ulong bytes = need > MinimumBucketBytes ? need : MinimumBucketBytes;
        ulong runBoundary = 0;
        if (boundary != 0)
        {
            if (contiguous && need <= boundary)
            {
                bytes = bytes < boundary ? bytes : boundary;
                runBoundary = boundary;
            }
            else
            {
                ulong withSlack = MemConstants.AlignUp(need + boundary + Pebble.MinimumBlockBytes, MemConstants.PageSize);
                bytes = withSlack > MinimumBucketBytes ? withSlack : MinimumBucketBytes;
            }
        }
        ulong pages = bytes >> MemConstants.PageShift;
        ulong virtualAddress;
        ulong physicalStart;
        ulong physicalEnd;
        if (contiguous)
        {
            if (bytes > MaximumContiguousBucketBytes)
            {
                return PebbleStatus.InvalidRequest;
            }
            if (_frames.AllocateRun(pages, MemConstants.PageSize, 0, limit, runBoundary, out physicalStart) != FrameAllocationStatus.Ok)
            {
                return PebbleStatus.OutOfMemory;
            }
            physicalEnd = physicalStart + bytes;
            virtualAddress = (ulong)_memory.Access(physicalStart);
        }
        else
        {
            if (bytes > MaximumVirtualBucketBytes)
            {
                return PebbleStatus.InvalidRequest;
            }
            ulong state = _memoryLock.Enter();
            bool mapped = MapVirtualBucket(pages, limit, out virtualAddress, out physicalStart, out physicalEnd);
            _memoryLock.Exit(state);
            if (!mapped)
            {
                return PebbleStatus.OutOfMemory;
            }
        }

        bucket = (Bucket*)virtualAddress;
        *bucket = default;
        bucket->Magic = Bucket.ValidMagic;
        bucket->Type = type;
        bucket->Policy = policy;
        bucket->Pages = (uint)pages;
        bucket->Virtual = virtualAddress;
        bucket->PhysicalStart = physicalStart;
        bucket->PhysicalEnd = physicalEnd;
        bucket->RunBoundary = runBoundary;
        Pebble* first = At(bucket, FirstPebble);
        MakeFree(first, bucket, bytes - Bucket.HeaderBytes, 0, 0);
        bucket->LargestFree = first->Size;
        bucket->FreePebbles = 1;
        _bucketsCreated++;
        return PebbleStatus.Ok;
    }

    /// <summary>Takes bucket space and maps a frame under <paramref name="limit"/> at each page; all or nothing.</summary>
    [SkipLocalsInit]
    private bool MapVirtualBucket(ulong pages, ulong limit, out ulong virtualAddress, out ulong lowest, out ulong highestEnd)
    {
        lowest = ulong.MaxValue;
        highestEnd = 0;
        if (!_space.TryTake(pages, out virtualAddress))
        {
            return false;
        }
        // A batch of frames under the limit at a time, then one mapper call for the batch.
        ulong* frames = stackalloc ulong[MapBatch];
        for (ulong done = 0; done < pages;)
        {
            ulong batch = pages - done < MapBatch ? pages - done : MapBatch;
            ulong taken = 0;
            while (taken < batch && _frames.AllocateRun(1, MemConstants.PageSize, 0, limit, 0, out frames[taken]) == FrameAllocationStatus.Ok)
            {
                taken++;
            }
            if (taken < batch || _mapper.MapPages(virtualAddress + (done << MemConstants.PageShift), frames, batch, BucketPageFlags) != PagingStatus.Success)
            {
                _frames.FreeFrameList(frames, taken);
                UnmapPages(virtualAddress, done);
                _space.Give(virtualAddress, pages);
                return false;
            }
            for (ulong i = 0; i < batch; i++)
            {
                lowest = frames[i] < lowest ? frames[i] : lowest;
                highestEnd = frames[i] + MemConstants.PageSize > highestEnd ? frames[i] + MemConstants.PageSize : highestEnd;
            }
            done += batch;
        }
        return true;
    }

    [SkipLocalsInit]
    private void UnmapPages(ulong virtualAddress, ulong pages)
    {
        ulong* frames = stackalloc ulong[MapBatch];
        for (ulong done = 0; done < pages;)
        {
            ulong batch = pages - done < MapBatch ? pages - done : MapBatch;
            _mapper.UnmapPages(virtualAddress + (done << MemConstants.PageShift), batch, frames);
            _frames.FreeFrameList(frames, batch);
            done += batch;
        }
    }

    /// <summary>
    /// With the heap lock held, after <see cref="Unlink"/>: erases the headers a stale pointer could still
    /// reach, then gives the memory back (unmapping virtual buckets, whose frames the mapper reports to the TLB).
    /// </summary>
    private void DestroyBucket(Bucket* bucket)
    {
        ulong virtualAddress = bucket->Virtual;
        ulong pages = bucket->Pages;
        ulong physicalStart = bucket->PhysicalStart;
        bool contiguous = bucket->IsContiguous;
        At(bucket, FirstPebble)->Magic = Pebble.ErasedMagic;
        bucket->Magic = Bucket.ReleasedMagic;
        if (contiguous)
        {
            _frames.FreeRun(physicalStart, pages);
        }
        else
        {
            ulong state = _memoryLock.Enter();
            UnmapPages(virtualAddress, pages);
            _memoryLock.Exit(state);
            _space.Give(virtualAddress, pages);
        }
        _bucketsReleased++;
    }

    /// <summary>With the heap lock held: inserts a new bucket in address order.</summary>
    private void Link(Bucket* bucket)
    {
        ulong address = bucket->Virtual;
        ulong previous = 0;
        ulong next = _firstBucket;
        while (next != 0 && next < address)
        {
            previous = next;
            next = ((Bucket*)next)->Next;
        }
        bucket->Previous = previous;
        bucket->Next = next;
        if (previous == 0)
        {
            _firstBucket = address;
        }
        else
        {
            ((Bucket*)previous)->Next = address;
        }
        if (next != 0)
        {
            ((Bucket*)next)->Previous = address;
        }
        _bucketCount++;
    }

    /// <summary>With the heap lock and the bucket's lock held: takes the bucket out of the list.</summary>
    private void Unlink(Bucket* bucket)
    {
        if (bucket->Previous == 0)
        {
            _firstBucket = bucket->Next;
        }
        else
        {
            ((Bucket*)bucket->Previous)->Next = bucket->Next;
        }
        if (bucket->Next != 0)
        {
            ((Bucket*)bucket->Next)->Previous = bucket->Previous;
        }
        bucket->Previous = 0;
        bucket->Next = 0;
        _bucketCount--;
    }

    /// <summary>
    /// Retakes the heap lock after a free left the bucket at <paramref name="bucketAddress"/> empty, and removes
    /// it if it is still listed and still empty: meanwhile another task may have allocated from it or removed it.
    /// </summary>
    private void ReleaseIfEmpty(ulong bucketAddress)
    {
        ulong heapState = _lock.Acquire(ref _heapLock);
        ulong at = _firstBucket;
        while (at != 0 && at != bucketAddress)
        {
            at = ((Bucket*)at)->Next;
        }
        if (at != 0)
        {
            Bucket* bucket = (Bucket*)at;
            _lock.AcquireNested(ref bucket->Lock);
            bool release = bucket->PebblesInUse == 0 && !bucket->IsPersistent;
            if (release)
            {
                Unlink(bucket);
            }
            _lock.ReleaseNested(ref bucket->Lock);
            if (release)
            {
                DestroyBucket(bucket);
            }
        }
        _lock.Release(ref _heapLock, heapState);
    }

    /// <summary>With the heap lock held: the bucket whose memory holds <paramref name="address"/>, or null.</summary>
    private Bucket* FindBucket(ulong address)
    {
        for (ulong at = _firstBucket; at != 0 && at <= address; at = ((Bucket*)at)->Next)
        {
            if (address - at < ((Bucket*)at)->Bytes)
            {
                return (Bucket*)at;
            }
        }
        return null;
    }
}
