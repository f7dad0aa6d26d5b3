using System.Numerics;
using System.Runtime.CompilerServices;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Mem.Physical;

namespace Kernel.Mem.Pebble;

/// <summary>
/// The FYSOS bucket/pebble allocator, for buffers with physical constraints (DMA below 16 MiB or 4 GiB,
/// physically contiguous, aligned up to 1 MiB, not crossing a power-of-two boundary) as well as ordinary
/// named, owned allocations. The heap is an address-ordered list of buckets; a bucket is pages of one memory
/// type (see <see cref="PebbleFlags"/>) whose pebbles, free and in use, tile it in address order.
/// </summary>
/// <remarks>
/// <para>
/// Physically contiguous buckets are one frame run from <see cref="FrameAllocator{TMem}.AllocateRun(ulong, ulong, ulong, ulong, ulong, out ulong)"/>
/// under the type's address limit, used through <typeparamref name="TMem"/>'s pointer to the run as its
/// virtual address. That relies on <see cref="IPhysicalMemory.Access"/> being linear across a run, as the
/// kernel's direct map and the host's emulated RAM are. Virtual buckets are single frames (each under the
/// type's limit) mapped through the <see cref="Mapper{TMem, TTlb}"/> into the range given at construction,
/// unmapped and returned when the bucket is released. Placement (alignment, boundary) is computed on physical
/// addresses in contiguous buckets and on virtual addresses in virtual buckets, whose frames are only
/// page-contiguous anyway.
/// </para>
/// <para>
/// Locking, with interrupts disabled while any lock is held (<see cref="IInterruptLock"/>: the heap lock's
/// acquire disables them, a bucket lock, always taken inside the heap lock, is only the spin). The heap lock
/// guards the bucket list (links, creation, removal) and the lifetime counters. A bucket's lock guards its
/// pebbles and occupancy fields. Order: heap lock, then one bucket lock, then the memory manager's lock
/// (<see cref="MemoryLock"/>, the frame allocator's, which it shares with the kernel heap and every mapper);
/// a bucket lock is taken only while the heap lock is held and the heap lock is never requested while a
/// bucket lock is held, so a bucket cannot be removed while anyone holds or waits for its lock. Allocation
/// searches and places under both. Free and shrinking realloc validate under both, then drop the heap lock and
/// merge under the bucket lock alone; a bucket left empty is then removed after retaking the heap lock, if it
/// is still in the list and still empty. Creating and destroying a bucket hold the memory manager's lock
/// around all their calls into the frame allocator and the mapper, so a bucket's frames and mappings come and
/// go in one piece.
/// </para>
/// <para>
/// The only managed allocation is the bucket-space bitmap, made by the constructor. Nothing throws.
/// </para>
/// </remarks>
public sealed unsafe class PebbleAllocator<TMem, TTlb, TLock>
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
    where TLock : struct, IInterruptLock
{
    public const ulong DefaultAlignment = Pebble.Granule;
    public const ulong MaximumAlignment = MemConstants.MiB;

    /// <summary>A new bucket is at least this big (headers included), so a 64 KiB ISA DMA window holds one whole.</summary>
    public const ulong MinimumBucketBytes = 64 * MemConstants.KiB;

    /// <summary>Pebble links are 32-bit offsets; virtual buckets stay well below that.</summary>
    public const ulong MaximumVirtualBucketBytes = MemConstants.GiB;

    /// <summary>
    /// A contiguous bucket is one frame run, which the frame allocator finds across any number of free buddy
    /// blocks; the bound is the pebble links' again, as for virtual buckets.
    /// </summary>
    public const ulong MaximumContiguousBucketBytes = MaximumVirtualBucketBytes;

    /// <summary>Bucket pages are kernel data: supervisor-only, writable, never executable.</summary>
    public const PageFlags BucketPageFlags = PageFlags.Writable | PageFlags.NoExecute;

    private const uint FirstPebble = (uint)Bucket.HeaderBytes;
    private const ulong NoLimit = FrameAllocator<TMem>.NoLimit;
    private const ulong GranuleMask = Pebble.Granule - 1;

    // Pages of a virtual bucket mapped or unmapped per mapper call (their frame list lives on the stack).
    private const int MapBatch = 64;

    private const PebbleFlags KnownFlags = PebbleFlags.Virtual | PebbleFlags.Physical | PebbleFlags.Clear
        | PebbleFlags.Below1MiB | PebbleFlags.Below16MiB | PebbleFlags.Below4GiB | PebbleFlags.Anywhere
        | PebbleFlags.Aligned | PebbleFlags.Persistent | PebbleFlags.BestFit;

    private readonly FrameAllocator<TMem> _frames;
    private readonly Mapper<TMem, TTlb> _mapper;
    private readonly MemoryLock _memoryLock;
    private readonly BucketSpace _space;

    // Not readonly: calling methods on a readonly field of a non-readonly struct would copy it each time.
    private TMem _memory;
    private TLock _lock;
    private uint _heapLock;

    // Guarded by the heap lock.
    private ulong _firstBucket;
    private int _bucketCount;
    private ulong _allocations;
    private ulong _failedAllocations;
    private ulong _frees;
    private ulong _reallocations;
    private ulong _bucketsCreated;
    private ulong _bucketsReleased;
    private ulong _doubleFrees;
    private ulong _foreignPointers;
    private ulong _invalidPointers;
    private ulong _notOwner;
    private ulong _corruptions;

    /// <summary>
    /// An allocator over <paramref name="frames"/>. Virtual buckets are mapped by <paramref name="mapper"/> into
    /// [<paramref name="virtualBase"/>, + <paramref name="virtualSize"/>), page aligned, unmapped, and reserved
    /// for this allocator; with a null mapper or a size of 0 only contiguous requests can succeed. The mapper
    /// must take its tables from <paramref name="frames"/> (it then shares its lock).
    /// </summary>
    public PebbleAllocator(
        FrameAllocator<TMem> frames, TMem memory, TLock locks, Mapper<TMem, TTlb> mapper, ulong virtualBase, ulong virtualSize)
    {
        _frames = frames;
        _memoryLock = frames.Lock;
        _memory = memory;
        _lock = locks;
        _mapper = mapper;
        ulong pages = (object)mapper == null ? 0 : virtualSize >> MemConstants.PageShift;
        _space = new BucketSpace(MemConstants.AlignUp(virtualBase, MemConstants.PageSize), pages);
    }

    /// <summary>Buckets in the list now (an unlocked read, for tests and displays).</summary>
    public int BucketCount => _bucketCount;

    /// <summary>kmalloc: see <see cref="TryAllocate"/>; null on any failure.</summary>
    public void* Allocate(ulong size, ulong alignment, ulong boundary, PebbleFlags flags, string name, uint owner)
    {
        TryAllocate(size, alignment, boundary, flags, name, owner, out void* pebble);
        return pebble;
    }

    /// <summary>
    /// Allocates <paramref name="size"/> bytes of the memory type <paramref name="flags"/> ask for, starting on a
    /// multiple of <paramref name="alignment"/> (0: 64, or a page with <see cref="PebbleFlags.Aligned"/>; at most
    /// 1 MiB) and not crossing a multiple of <paramref name="boundary"/> (0: none; otherwise a power of two at
    /// least <paramref name="size"/>), both judged on physical addresses for contiguous memory. The first
    /// <see cref="Pebble.NameBytes"/> characters of <paramref name="name"/> and <paramref name="owner"/> are kept
    /// in the header. A failure changes nothing and leaves <paramref name="pebble"/> null.
    /// </summary>
    public PebbleStatus TryAllocate(
        ulong size, ulong alignment, ulong boundary, PebbleFlags flags, string name, uint owner, out void* pebble)
    {
        Pebble.PackName(name, out ulong name0, out ulong name1);
        return AllocateCore(size, alignment, boundary, flags, name0, name1, owner, out pebble);
    }

    /// <summary>
    /// mfree: releases the pebble that <paramref name="pointer"/> starts, merging it with free neighbours, and
    /// releases its bucket if that became empty and is not persistent. Only the pebble's owner may free it: a
    /// driver's buffer stays in use whatever another owner (the shell, a task) passes here. Null is accepted
    /// (<see cref="PebbleStatus.NullPointer"/>). A pointer outside every bucket, into the middle of a pebble, into
    /// free memory (including a pebble merged away by an earlier free), at a damaged header or at another
    /// owner's pebble changes nothing and is counted.
    /// </summary>
    public PebbleStatus Free(void* pointer, uint owner)
    {
        if (pointer == null)
        {
            return PebbleStatus.NullPointer;
        }
        ulong heapState = _lock.Acquire(ref _heapLock);
        PebbleStatus status = LocateOwned((ulong)pointer, owner, out Bucket* bucket, out uint header);
        if (status != PebbleStatus.Ok)
        {
            CountRejection(status);
            _lock.Release(ref _heapLock, heapState);
            return status;
        }
        _frees++;
        // Hand over to the bucket lock alone, interrupts staying off until it goes (see IInterruptLock).
        _lock.ReleaseNested(ref _heapLock);
        FreeLocked(bucket, header);
        bool empty = bucket->PebblesInUse == 0 && !bucket->IsPersistent;
        ulong bucketAddress = bucket->Virtual;
        _lock.Release(ref bucket->Lock, heapState);
        if (empty)
        {
            ReleaseIfEmpty(bucketAddress);
        }
        return PebbleStatus.Ok;
    }

    /// <summary>
    /// realloc for <paramref name="owner"/>: null allocates (default type) for it; size 0 frees and returns null.
    /// A size within the pebble's capacity shrinks (or grows) it in place, giving a tail back when one fits; a
    /// larger size moves it: a new pebble with the original request's flags, alignment, boundary, name and owner,
    /// the old contents (its requested size) copied, then the old pebble freed. When that fails, or the pointer is
    /// bad or another owner's (see <see cref="Free"/>), null is returned and the original is left exactly as it was.
    /// </summary>
    public void* Reallocate(void* pointer, ulong size, uint owner)
    {
        if (pointer == null)
        {
            return Allocate(size, 0, 0, PebbleFlags.None, "realloc", owner);
        }
        if (size == 0)
        {
            Free(pointer, owner);
            return null;
        }
        ulong heapState = _lock.Acquire(ref _heapLock);
        _reallocations++;
        PebbleStatus status = LocateOwned((ulong)pointer, owner, out Bucket* bucket, out uint header);
        if (status != PebbleStatus.Ok)
        {
            CountRejection(status);
            _lock.Release(ref _heapLock, heapState);
            return null;
        }
        Pebble* pebble = At(bucket, header);
        ulong oldRequested = pebble->Requested;
        bool clear = (pebble->RequestFlags & PebbleFlags.Clear) != 0;
        ulong boundary = pebble->Boundary;
        ulong placementStart = (bucket->IsContiguous ? bucket->PhysicalStart : bucket->Virtual) + header + Pebble.HeaderBytes;
        if (size <= pebble->Capacity && !MemConstants.CrossesBoundary(placementStart, size, boundary))
        {
            _lock.ReleaseNested(ref _heapLock);
            ResizeLocked(bucket, header, size);
            _lock.Release(ref bucket->Lock, heapState);
            if (clear && size > oldRequested)
            {
                HeapMemory.Fill((byte*)pointer + oldRequested, size - oldRequested, 0);
            }
            return pointer;
        }

        // Growing moves. The new request is the old pebble's request: its request flags (not its state), its
        // alignment, boundary, name and owner. A boundary smaller than the new size makes it invalid: fail.
        PebbleFlags flags = pebble->RequestFlags;
        ulong alignment = pebble->Alignment;
        ulong name0 = pebble->Name0;
        ulong name1 = pebble->Name1;
        _lock.ReleaseNested(ref bucket->Lock);
        _lock.Release(ref _heapLock, heapState);
        if (AllocateCore(size, alignment, boundary, flags, name0, name1, owner, out void* moved) != PebbleStatus.Ok)
        {
            return null;
        }
        // Only what the old pebble held: its requested size, never the new size.
        HeapMemory.Copy((byte*)moved, (byte*)pointer, oldRequested < size ? oldRequested : size);
        Free(pointer, owner);
        return moved;
    }

    /// <summary>The physical address of the byte at <paramref name="pointer"/> of a pebble; 0 for a pointer in no bucket.</summary>
    public ulong PhysicalAddress(void* pointer)
        => TryGetPhysicalAddress(pointer, out ulong physical) == PebbleStatus.Ok ? physical : 0;

    /// <summary>
    /// The physical address of the byte at <paramref name="pointer"/>: base + offset in a contiguous bucket, the
    /// page-table translation in a virtual one. <see cref="PebbleStatus.ForeignPointer"/> outside every bucket.
    /// </summary>
    public PebbleStatus TryGetPhysicalAddress(void* pointer, out ulong physical)
    {
        physical = 0;
        ulong address = (ulong)pointer;
        ulong heapState = _lock.Acquire(ref _heapLock);
        PebbleStatus status = PebbleStatus.ForeignPointer;
        Bucket* bucket = FindBucket(address);
        if (bucket != null)
        {
            status = PebbleStatus.Ok;
            if (bucket->IsContiguous)
            {
                physical = bucket->PhysicalStart + (address - bucket->Virtual);
            }
            else if (_mapper.Translate(address, out Translation translation) == PagingStatus.Success)
            {
                physical = translation.PhysicalAddress;
            }
            else
            {
                status = PebbleStatus.Corrupted;
            }
        }
        _lock.Release(ref _heapLock, heapState);
        return status;
    }

    /// <summary>
    /// Frees every pebble <paramref name="owner"/> holds (a task that exits), releasing buckets left empty;
    /// returns how many were freed.
    /// </summary>
    public int FreeOwnedBy(uint owner)
    {
        int freed = 0;
        ulong heapState = _lock.Acquire(ref _heapLock);
        ulong at = _firstBucket;
        while (at != 0)
        {
            Bucket* bucket = (Bucket*)at;
            at = bucket->Next;
            _lock.AcquireNested(ref bucket->Lock);
            uint offset = FirstPebble;
            while (offset != 0)
            {
                Pebble* pebble = At(bucket, offset);
                if (pebble->State == PebbleState.InUse && pebble->Owner == owner)
                {
                    // The merged pebble starts at or before this one; its successor is the next to look at.
                    offset = FreeLocked(bucket, offset);
                    freed++;
                }
                offset = At(bucket, offset)->Next;
            }
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
        _frees += (ulong)freed;
        _lock.Release(ref _heapLock, heapState);
        return freed;
    }

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

    private PebbleStatus AllocateCore(
        ulong size, ulong alignment, ulong boundary, PebbleFlags flags, ulong name0, ulong name1, uint owner, out void* pebble)
    {
        pebble = null;
        PebbleStatus status = Normalize(size, ref alignment, boundary, flags);
        ulong heapState = _lock.Acquire(ref _heapLock);
        _allocations++;
        if (status == PebbleStatus.Ok)
        {
            status = AllocateLocked(size, alignment, boundary, flags, name0, name1, owner, out pebble);
        }
        if (status != PebbleStatus.Ok)
        {
            _failedAllocations++;
        }
        _lock.Release(ref _heapLock, heapState);
        // The pebble is the caller's alone from here: clear it outside the locks.
        if (status == PebbleStatus.Ok && (flags & PebbleFlags.Clear) != 0)
        {
            HeapMemory.Fill((byte*)pebble, ((Pebble*)((byte*)pebble - Pebble.HeaderBytes))->Capacity, 0);
        }
        return status;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PebbleStatus Normalize(ulong size, ref ulong alignment, ulong boundary, PebbleFlags flags)
    {
        if (size == 0 || size > MaximumVirtualBucketBytes || (flags & ~KnownFlags) != 0)
        {
            return PebbleStatus.InvalidRequest;
        }
        if (alignment == 0)
        {
            alignment = (flags & PebbleFlags.Aligned) != 0 ? MemConstants.PageSize : DefaultAlignment;
        }
        if (!BitOperations.IsPow2(alignment) || alignment > MaximumAlignment)
        {
            return PebbleStatus.InvalidRequest;
        }
        if (alignment < Pebble.Granule)
        {
            alignment = Pebble.Granule;
        }
        if (boundary != 0 && (!BitOperations.IsPow2(boundary) || boundary < size))
        {
            return PebbleStatus.InvalidRequest;
        }
        return PebbleStatus.Ok;
    }

    /// <summary>The bucket type a request needs: contiguity, the tightest address limit, persistence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PebbleFlags TypeOf(PebbleFlags flags)
    {
        PebbleFlags type = (flags & PebbleFlags.Physical) != 0 ? PebbleFlags.Physical : PebbleFlags.Virtual;
        if ((flags & PebbleFlags.Below1MiB) != 0)
        {
            type |= PebbleFlags.Below1MiB;
        }
        else if ((flags & PebbleFlags.Below16MiB) != 0)
        {
            type |= PebbleFlags.Below16MiB;
        }
        else if ((flags & PebbleFlags.Below4GiB) != 0)
        {
            type |= PebbleFlags.Below4GiB;
        }
        return type | (flags & PebbleFlags.Persistent);
    }

    /// <summary>The exclusive physical limit every byte of a bucket of <paramref name="type"/> must stay under.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LimitOf(PebbleFlags type)
    {
        if ((type & PebbleFlags.Below1MiB) != 0)
        {
            return MemConstants.MiB;
        }
        if ((type & PebbleFlags.Below16MiB) != 0)
        {
            return Zone.DmaEnd;
        }
        if ((type & PebbleFlags.Below4GiB) != 0)
        {
            return Zone.Dma32End;
        }
        return NoLimit;
    }

    /// <summary>With the heap lock held: place in the first bucket of the type that can take it, else in a new bucket.</summary>
    private PebbleStatus AllocateLocked(
        ulong size, ulong alignment, ulong boundary, PebbleFlags flags, ulong name0, ulong name1, uint owner, out void* pebble)
    {
        pebble = null;
        PebbleFlags type = TypeOf(flags);
        ulong limit = LimitOf(type);
        ulong capacity = MemConstants.AlignUp(size, Pebble.Granule);
        ulong block = Pebble.HeaderBytes + capacity;
        for (ulong at = _firstBucket; at != 0; at = ((Bucket*)at)->Next)
        {
            Bucket* bucket = (Bucket*)at;
            // The limit is judged on the bucket's physical extent, never on its virtual address. LargestFree is
            // read without the bucket lock: only a hint, placement rechecks under the lock.
            if (bucket->Type != type || bucket->PhysicalEnd > limit || bucket->LargestFree < block)
            {
                continue;
            }
            _lock.AcquireNested(ref bucket->Lock);
            uint header = PlaceLocked(bucket, size, capacity, alignment, boundary, flags, name0, name1, owner);
            _lock.ReleaseNested(ref bucket->Lock);
            if (header != 0)
            {
                pebble = (byte*)bucket + header + Pebble.HeaderBytes;
                return PebbleStatus.Ok;
            }
        }

        PebbleStatus status = CreateBucket(type, flags & PebbleFlags.BestFit, capacity, alignment, boundary, out Bucket* created);
        if (status != PebbleStatus.Ok)
        {
            return status;
        }
        Link(created);
        _lock.AcquireNested(ref created->Lock);
        uint placed = PlaceLocked(created, size, capacity, alignment, boundary, flags, name0, name1, owner);
        bool release = placed == 0;
        if (release)
        {
            // Unreachable while the sizing in CreateBucket is right; handled rather than leaked.
            Unlink(created);
        }
        _lock.ReleaseNested(ref created->Lock);
        if (release)
        {
            DestroyBucket(created);
            return PebbleStatus.OutOfMemory;
        }
        pebble = (byte*)created + placed + Pebble.HeaderBytes;
        return PebbleStatus.Ok;
    }

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

    /// <summary>
    /// With the heap lock held: finds the in-use pebble whose data starts at <paramref name="address"/>. On
    /// <see cref="PebbleStatus.Ok"/> the bucket's lock is held; on any other status no bucket lock is held.
    /// </summary>
    private PebbleStatus Locate(ulong address, out Bucket* bucket, out uint header)
    {
        header = 0;
        bucket = FindBucket(address);
        if (bucket == null)
        {
            return PebbleStatus.ForeignPointer;
        }
        if (bucket->Magic != Bucket.ValidMagic || bucket->Virtual != (ulong)bucket)
        {
            return PebbleStatus.Corrupted;
        }
        _lock.AcquireNested(ref bucket->Lock);
        PebbleStatus status = Classify(bucket, address - (ulong)bucket, out header);
        if (status != PebbleStatus.Ok)
        {
            _lock.ReleaseNested(ref bucket->Lock);
        }
        return status;
    }

    /// <summary>
    /// <see cref="Locate"/>, then <see cref="PebbleStatus.NotOwner"/> (no bucket lock held) when the pebble is
    /// not <paramref name="owner"/>'s.
    /// </summary>
    private PebbleStatus LocateOwned(ulong address, uint owner, out Bucket* bucket, out uint header)
    {
        PebbleStatus status = Locate(address, out bucket, out header);
        if (status == PebbleStatus.Ok && At(bucket, header)->Owner != owner)
        {
            _lock.ReleaseNested(ref bucket->Lock);
            return PebbleStatus.NotOwner;
        }
        return status;
    }

    /// <summary>
    /// With the bucket's lock held: whether <paramref name="dataOffset"/> starts an in-use pebble. The fast
    /// check trusts a header only if its magic, bucket and both neighbours' links agree; anything else is judged
    /// by walking the list to the pebble that holds the offset, so a pointer into free memory is a double free
    /// whether or not its old header survived a merge.
    /// </summary>
    private static PebbleStatus Classify(Bucket* bucket, ulong dataOffset, out uint header)
    {
        header = 0;
        if (dataOffset < FirstPebble + Pebble.HeaderBytes || (dataOffset & GranuleMask) != 0)
        {
            return PebbleStatus.InvalidPointer;
        }
        uint candidate = (uint)(dataOffset - Pebble.HeaderBytes);
        Pebble* pebble = At(bucket, candidate);
        if (pebble->Magic == Pebble.ValidMagic && pebble->Bucket == bucket->Virtual && IsLinked(bucket, candidate, pebble))
        {
            if (pebble->State == PebbleState.InUse)
            {
                header = candidate;
                return PebbleStatus.Ok;
            }
            if (pebble->State == PebbleState.Free)
            {
                return PebbleStatus.DoubleFree;
            }
        }

        ulong bytes = bucket->Bytes;
        uint offset = FirstPebble;
        for (ulong steps = 0; offset != 0 && steps <= bytes / Pebble.MinimumBlockBytes; steps++)
        {
            Pebble* walked = At(bucket, offset);
            if (walked->Magic != Pebble.ValidMagic || walked->Size < Pebble.MinimumBlockBytes || walked->Size > bytes - offset)
            {
                return PebbleStatus.Corrupted;
            }
            if (candidate >= offset && candidate - offset < walked->Size)
            {
                if (walked->State == PebbleState.Free)
                {
                    return PebbleStatus.DoubleFree;
                }
                return offset == candidate ? PebbleStatus.Corrupted : PebbleStatus.InvalidPointer;
            }
            offset = walked->Next;
        }
        return PebbleStatus.Corrupted;
    }

    /// <summary>Whether the header at <paramref name="offset"/> is consistent with its neighbours; reads only inside the bucket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsLinked(Bucket* bucket, uint offset, Pebble* pebble)
    {
        ulong bytes = bucket->Bytes;
        ulong size = pebble->Size;
        if (size < Pebble.MinimumBlockBytes || size > bytes - offset || (size & GranuleMask) != 0)
        {
            return false;
        }
        uint previous = pebble->Previous;
        if (previous == 0)
        {
            if (offset != FirstPebble)
            {
                return false;
            }
        }
        else if (previous < FirstPebble || previous >= offset || (previous & GranuleMask) != 0
            || At(bucket, previous)->Next != offset)
        {
            return false;
        }
        uint next = pebble->Next;
        if (next == 0)
        {
            return offset + size == bytes;
        }
        return next == offset + size && At(bucket, next)->Previous == offset;
    }

    /// <summary>
    /// With the bucket's lock held: finds a free pebble (first or best fit, per the bucket's policy) where the
    /// data can start on an aligned address without crossing the boundary, and carves it. Returns the new
    /// pebble's header offset, or 0 when none fits.
    /// </summary>
    private static uint PlaceLocked(
        Bucket* bucket, ulong size, ulong capacity, ulong alignment, ulong boundary, PebbleFlags flags,
        ulong name0, ulong name1, uint owner)
    {
        // Alignment and boundary are properties of the addresses a device or the CPU will use: physical ones
        // in a contiguous bucket, virtual ones (page-aligned like their frames) in a virtual bucket.
        ulong placementBase = bucket->IsContiguous ? bucket->PhysicalStart : bucket->Virtual;
        ulong block = Pebble.HeaderBytes + capacity;
        bool bestFit = (bucket->Policy & PebbleFlags.BestFit) != 0;
        uint chosen = 0;
        ulong chosenData = 0;
        ulong chosenSize = ulong.MaxValue;
        uint offset = FirstPebble;
        while (offset != 0)
        {
            Pebble* pebble = At(bucket, offset);
            if (pebble->State == PebbleState.Free && pebble->Size >= block && pebble->Size < chosenSize
                && TryFit(placementBase, offset, pebble->Size, size, capacity, alignment, boundary, out ulong data))
            {
                chosen = offset;
                chosenData = data;
                chosenSize = pebble->Size;
                if (!bestFit)
                {
                    break;
                }
            }
            offset = pebble->Next;
        }
        if (chosen == 0)
        {
            return 0;
        }
        return Carve(bucket, chosen, chosenData, size, capacity, alignment, boundary, flags, name0, name1, owner);
    }

    /// <summary>
    /// Where in the free pebble at <paramref name="offset"/> (block <paramref name="blockSize"/>) the data can
    /// start: on a multiple of <paramref name="alignment"/> and with [start, start + size) inside one
    /// <paramref name="boundary"/> window, both as placement addresses, leaving in front either nothing or a
    /// free pebble of at least the minimum block, and with the capacity inside the pebble.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryFit(
        ulong placementBase, ulong offset, ulong blockSize, ulong size, ulong capacity, ulong alignment, ulong boundary,
        out ulong dataOffset)
    {
        ulong first = offset + Pebble.HeaderBytes;
        ulong data = first;
        // Each step moves forward; three suffice (align, make room for a front pebble, skip to the next window,
        // which is itself aligned or cannot be crossed), the fourth confirms.
        for (int step = 0; step < 4; step++)
        {
            data = MemConstants.AlignUp(placementBase + data, alignment) - placementBase;
            if (data != first && data - first < Pebble.MinimumBlockBytes)
            {
                data = first + Pebble.MinimumBlockBytes;
                continue;
            }
            ulong start = placementBase + data;
            if (MemConstants.CrossesBoundary(start, size, boundary))
            {
                data = MemConstants.AlignDown(start, boundary) + boundary - placementBase;
                continue;
            }
            dataOffset = data;
            return data + capacity <= offset + blockSize;
        }
        dataOffset = 0;
        return false;
    }

    /// <summary>
    /// With the bucket's lock held: splits the free pebble at <paramref name="offset"/> into an optional free
    /// front, the new pebble whose data starts at <paramref name="dataOffset"/>, and a free tail when one of at
    /// least the minimum block is left (a smaller tail stays in the pebble as extra capacity).
    /// </summary>
    private static uint Carve(
        Bucket* bucket, uint offset, ulong dataOffset, ulong size, ulong capacity, ulong alignment, ulong boundary,
        PebbleFlags flags, ulong name0, ulong name1, uint owner)
    {
        Pebble* pebble = At(bucket, offset);
        ulong originalSize = pebble->Size;
        uint header = (uint)(dataOffset - Pebble.HeaderBytes);
        if (header != offset)
        {
            Pebble* placed = At(bucket, header);
            MakeFree(placed, bucket, originalSize - (header - offset), offset, pebble->Next);
            LinkAfter(bucket, pebble, offset, placed, header);
            pebble->Size = header - offset;
            bucket->FreePebbles++;
            pebble = placed;
        }
        ulong block = Pebble.HeaderBytes + capacity;
        if (pebble->Size - block >= Pebble.MinimumBlockBytes)
        {
            uint tailOffset = header + (uint)block;
            Pebble* tail = At(bucket, tailOffset);
            MakeFree(tail, bucket, pebble->Size - block, header, pebble->Next);
            LinkAfter(bucket, pebble, header, tail, tailOffset);
            pebble->Size = block;
            bucket->FreePebbles++;
        }
        pebble->State = PebbleState.InUse;
        pebble->AlignmentShift = (byte)BitOperations.Log2(alignment);
        pebble->BoundaryShiftPlusOne = boundary == 0 ? (byte)0 : (byte)(BitOperations.Log2(boundary) + 1);
        pebble->Owner = owner;
        pebble->RequestFlags = flags;
        pebble->Requested = size;
        pebble->Name0 = name0;
        pebble->Name1 = name1;
        bucket->FreePebbles--;
        bucket->PebblesInUse++;
        bucket->RequestedInUse += size;
        bucket->BlockBytesInUse += pebble->Size;
        if (originalSize >= bucket->LargestFree)
        {
            RecomputeLargestFree(bucket);
        }
        return header;
    }

    /// <summary>
    /// With the bucket's lock held: marks the in-use pebble at <paramref name="offset"/> free and merges it with
    /// free neighbours, erasing the magic of every header a merge absorbs. Returns the merged pebble's offset.
    /// </summary>
    private static uint FreeLocked(Bucket* bucket, uint offset)
    {
        Pebble* pebble = At(bucket, offset);
        bucket->PebblesInUse--;
        bucket->RequestedInUse -= pebble->Requested;
        bucket->BlockBytesInUse -= pebble->Size;
        bucket->FreePebbles++;
        MakeFree(pebble, bucket, pebble->Size, pebble->Previous, pebble->Next);
        if (pebble->Next != 0 && At(bucket, pebble->Next)->State == PebbleState.Free)
        {
            Absorb(bucket, pebble, At(bucket, pebble->Next));
        }
        if (pebble->Previous != 0 && At(bucket, pebble->Previous)->State == PebbleState.Free)
        {
            uint previous = pebble->Previous;
            Absorb(bucket, At(bucket, previous), pebble);
            offset = previous;
            pebble = At(bucket, previous);
        }
        if (pebble->Size > bucket->LargestFree)
        {
            bucket->LargestFree = pebble->Size;
        }
        return offset;
    }

    /// <summary>
    /// With the bucket's lock held: sets the requested size of the in-use pebble at <paramref name="offset"/> to
    /// <paramref name="size"/> (within its capacity) and gives a tail of at least the minimum block back,
    /// merging it with a free successor.
    /// </summary>
    private static void ResizeLocked(Bucket* bucket, uint offset, ulong size)
    {
        Pebble* pebble = At(bucket, offset);
        bucket->RequestedInUse = bucket->RequestedInUse - pebble->Requested + size;
        pebble->Requested = size;
        ulong block = Pebble.HeaderBytes + MemConstants.AlignUp(size, Pebble.Granule);
        if (pebble->Size - block < Pebble.MinimumBlockBytes)
        {
            return;
        }
        uint tailOffset = offset + (uint)block;
        Pebble* tail = At(bucket, tailOffset);
        MakeFree(tail, bucket, pebble->Size - block, offset, pebble->Next);
        LinkAfter(bucket, pebble, offset, tail, tailOffset);
        bucket->BlockBytesInUse -= tail->Size;
        pebble->Size = block;
        bucket->FreePebbles++;
        if (tail->Next != 0 && At(bucket, tail->Next)->State == PebbleState.Free)
        {
            Absorb(bucket, tail, At(bucket, tail->Next));
        }
        if (tail->Size > bucket->LargestFree)
        {
            bucket->LargestFree = tail->Size;
        }
    }

    /// <summary>Writes a free header (magic, size, links; no owner, name or request).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MakeFree(Pebble* pebble, Bucket* bucket, ulong size, uint previous, uint next)
    {
        *pebble = default;
        pebble->Magic = Pebble.ValidMagic;
        pebble->State = PebbleState.Free;
        pebble->Size = size;
        pebble->Previous = previous;
        pebble->Next = next;
        pebble->Bucket = bucket->Virtual;
    }

    /// <summary>Links <paramref name="inserted"/> (its own links already set) after <paramref name="pebble"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LinkAfter(Bucket* bucket, Pebble* pebble, uint offset, Pebble* inserted, uint insertedOffset)
    {
        if (pebble->Next != 0)
        {
            At(bucket, pebble->Next)->Previous = insertedOffset;
        }
        pebble->Next = insertedOffset;
        inserted->Previous = offset;
    }

    /// <summary>Merges the free <paramref name="absorbed"/> into its free predecessor <paramref name="pebble"/> and erases its magic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Absorb(Bucket* bucket, Pebble* pebble, Pebble* absorbed)
    {
        pebble->Size += absorbed->Size;
        pebble->Next = absorbed->Next;
        if (absorbed->Next != 0)
        {
            At(bucket, absorbed->Next)->Previous = absorbed->Previous;
        }
        absorbed->Magic = Pebble.ErasedMagic;
        absorbed->State = 0;
        bucket->FreePebbles--;
    }

    /// <summary>The largest free pebble: only free ones count (the reference counted pebbles in use too).</summary>
    private static void RecomputeLargestFree(Bucket* bucket)
    {
        ulong largest = 0;
        for (uint offset = FirstPebble; offset != 0; offset = At(bucket, offset)->Next)
        {
            Pebble* pebble = At(bucket, offset);
            if (pebble->State == PebbleState.Free && pebble->Size > largest)
            {
                largest = pebble->Size;
            }
        }
        bucket->LargestFree = largest;
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

    private void CountRejection(PebbleStatus status)
    {
        switch (status)
        {
            case PebbleStatus.DoubleFree:
                _doubleFrees++;
                break;
            case PebbleStatus.ForeignPointer:
                _foreignPointers++;
                break;
            case PebbleStatus.InvalidPointer:
                _invalidPointers++;
                break;
            case PebbleStatus.NotOwner:
                _notOwner++;
                break;
            default:
                _corruptions++;
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Pebble* At(Bucket* bucket, ulong offset) => (Pebble*)((byte*)bucket + offset);
}
