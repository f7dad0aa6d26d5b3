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
/// <para>
/// One concept per file: this one holds the state and the public operations; PebbleAllocator.Buckets.cs the
/// bucket lifecycle, PebbleAllocator.Placement.cs placing, carving and merging pebbles inside a bucket,
/// PebbleAllocator.Validation.cs the checks on a caller's pointer, PebbleAllocator.Introspection.cs statistics,
/// the dump and the invariant checker.
/// </para>
/// </remarks>
public sealed unsafe partial class PebbleAllocator<TMem, TTlb, TLock>
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
}
