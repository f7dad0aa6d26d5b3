using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kernel.Mem.Physical;

/// <summary>
/// The physical frame allocator: a binary buddy system over 4 KiB frames, blocks of order 0 to
/// <see cref="MaxOrder"/> (4 KiB to 4 MiB), with one set of free lists per zone.
/// </summary>
/// <remarks>
/// <para>
/// All per-frame state lives in a mem_map of <see cref="FrameEntry"/> (8 bytes per frame) that
/// <see cref="Create"/> places in physical memory taken from the memory map, and that is reached only
/// through <typeparamref name="TMem"/>. Free lists are linked through that metadata, never through the
/// free frames themselves, so the allocator never reads or writes memory it hands out. The links of an
/// allocated frame's entry are free for its owner's <see cref="FrameTag"/>, as Linux lends struct page to
/// the owner of a page; every path that frees a frame rewrites its entry, so no tag outlives its frame.
/// </para>
/// <para>
/// Invariants: every managed frame is <see cref="FrameState.Free"/>, <see cref="FrameState.FreeHead"/>
/// or <see cref="FrameState.Allocated"/>; the free frames are exactly the union of the blocks on the free
/// lists; a free block of order k starts on a frame number that is a multiple of 2^k, and its buddy
/// (frame number XOR 2^k) is not also a free block of order k (coalescing is maximal). Blocks never
/// straddle zones: the zone limits are multiples of the largest block.
/// </para>
/// <para>
/// Single frames come from the first non-empty list of the lowest order, in O(zones × orders); frees
/// coalesce in O(orders). A run of up to <see cref="MaxBlockFrames"/> frames is first sought inside one
/// free block, the rest of which goes back to the lists (like Linux's alloc_pages_exact): O(free blocks
/// walked). When no block holds it, or it is longer than any block, the zone's mem_map is scanned for
/// consecutive free frames whatever blocks they belong to, and the blocks are split around them (like
/// FreeBSD's contigmalloc and Linux's alloc_contig_range): O(frames scanned), so only large or
/// constrained requests, and failures, pay for it. A run lies in one zone and is at most
/// <see cref="MaxRunFrames"/> frames. Its frames are ordinary allocated frames, so they can be freed
/// together or one by one and tagged one by one. Nothing here throws or allocates after <see cref="Create"/>.
/// </para>
/// <para>
/// Single frames taken and given back through the frame-source seam (<see cref="AllocateFrames"/>,
/// <see cref="FreeFrameList"/>, <see cref="IFrameSource"/>: the kernel heap's pages, page tables, user pages)
/// go through a cache of up to <see cref="CacheCapacity"/> free frames per zone, as Linux keeps per-CPU lists
/// of order-0 pages: such frames come and go all the time, and each would otherwise split a block on the way
/// out and merge up to the largest order on the way back. Cached frames are free (counted in
/// <see cref="FreeFrames"/>) but in no block: a run allocation first gives them back to the buddy lists, and
/// the block figures (<see cref="FreeBlockCount"/>) leave them out. <see cref="Allocate(ZoneId, out ulong)"/>,
/// <see cref="Free"/> and <see cref="FreeRun"/> stay plain buddy operations.
/// </para>
/// <para>
/// Every public member takes the memory manager's lock (<see cref="IFrameSource.Lock"/>, given to
/// <see cref="Create"/>) around its work, except the counters that are one word. Members call each other only
/// through their unlocked cores.
/// </para>
/// </remarks>
public sealed unsafe class FrameAllocator<TMem> : IFrameSource
    where TMem : struct, IPhysicalMemory
{
    /// <summary>The largest block is 2^10 frames = 4 MiB, as in Linux (MAX_ORDER 10).</summary>
    public const int MaxOrder = 10;
    public const int OrderCount = MaxOrder + 1;

    /// <summary>Frames in the largest buddy block: the longest run the single-block fast path can serve.</summary>
    public const ulong MaxBlockFrames = 1UL << MaxOrder;

    /// <summary>
    /// The longest run one request may ask for: 2^28 - 1 frames (just under 1 TiB), as many as one mem_map
    /// describes, since its indices and links are 28 bits (see <see cref="FrameEntry"/>).
    /// </summary>
    public const ulong MaxRunFrames = FrameEntry.NoFrame;

    /// <summary>Pass as <c>high</c> for "no upper limit".</summary>
    public const ulong NoLimit = ulong.MaxValue;

    /// <summary>
    /// The most free single frames a zone keeps out of its buddy blocks; a free beyond it goes to the blocks.
    /// Enough for the kernel heap's commits (batches of 64) to find their frames without splitting blocks.
    /// </summary>
    public const int CacheCapacity = 64;

    /// <summary>
    /// The metadata goes into the first usable range at or above 16 MiB that can hold it, so it does not
    /// eat the DMA zone; only when there is none does it go lower.
    /// </summary>
    private const ulong PreferredMetadataBase = Zone.DmaEnd;

    /// <summary>What <see cref="LastBusyFrame"/> returns when every frame it looked at is free.</summary>
    private const ulong NoBusyFrame = ulong.MaxValue;

    private const int RejectionKinds = (int)FrameFreeStatus.EmptyRun + 1;

    // Not readonly: calling Access on a readonly field of a non-readonly struct would copy it each time.
    private TMem _memory;
    private readonly MemoryLock _lock;
    private readonly ulong _metadataBase;
    private readonly ulong _metadataBytes;

    // mem_map index i describes frame number _firstFrame + i.
    private readonly ulong _firstFrame;
    private readonly uint _frameSpan;

    // Indexed by zone * OrderCount + order.
    private readonly uint[] _freeHeads;
    private readonly ulong[] _freeBlockCounts;

    // Indexed by zone.
    private readonly ulong[] _zoneTotalFrames;
    private readonly ulong[] _zoneFreeFrames;
    private readonly uint[] _cacheHeads;
    private readonly uint[] _cacheCounts;

    private readonly ulong[] _rejectedFreesByStatus;
    private ulong _rejectedFrees;
    private ulong _lastRejectedFree;

    private FrameAllocator(TMem memory, MemoryLock memoryLock, ulong metadataBase, ulong metadataBytes, ulong firstFrame, uint frameSpan)
    {
        _memory = memory;
        _lock = memoryLock;
        _metadataBase = metadataBase;
        _metadataBytes = metadataBytes;
        _firstFrame = firstFrame;
        _frameSpan = frameSpan;
        _freeHeads = new uint[Zone.Count * OrderCount];
        _freeBlockCounts = new ulong[Zone.Count * OrderCount];
        _zoneTotalFrames = new ulong[Zone.Count];
        _zoneFreeFrames = new ulong[Zone.Count];
        _cacheHeads = new uint[Zone.Count];
        _cacheCounts = new uint[Zone.Count];
        _rejectedFreesByStatus = new ulong[RejectionKinds];
        for (int i = 0; i < _freeHeads.Length; i++)
        {
            _freeHeads[i] = FrameEntry.NoFrame;
        }
        for (int i = 0; i < Zone.Count; i++)
        {
            _cacheHeads[i] = FrameEntry.NoFrame;
        }
    }

    /// <summary>
    /// Builds an allocator over the usable regions of <paramref name="map"/>. Its metadata (8 bytes for
    /// every frame between the lowest and the highest usable address) is carved out of a usable region
    /// and recorded in <paramref name="map"/> as <see cref="MemoryRegionKind.FrameMetadata"/>, so the map
    /// stays the one description of physical memory; every other usable frame becomes free.
    /// </summary>
    /// <param name="map">A sanitized map with every carve-out already made; it gains the metadata carve-out.</param>
    /// <param name="memory">
    /// Must reach every usable byte of <paramref name="map"/>; the allocator touches only its metadata.
    /// </param>
    /// <param name="memoryLock">The memory manager's lock, which the allocator takes and hands to whoever shares it (<see cref="Lock"/>).</param>
    public static FrameAllocatorCreateStatus Create(MemoryMap map, TMem memory, MemoryLock memoryLock, out FrameAllocator<TMem> allocator)
        => Create(map, memory, memoryLock, NoLimit, out allocator);

    /// <summary>
    /// As <see cref="Create(MemoryMap, TMem, MemoryLock, out FrameAllocator{TMem})"/>, with the metadata placed entirely
    /// below <paramref name="metadataLimit"/>: the end of what <paramref name="memory"/> can reach while the
    /// allocator is created and used (the kernel's boot identity map covers only the first 4 GiB, while RAM
    /// may lie far above it). <see cref="FrameAllocatorCreateStatus.NoRoomForMetadata"/> when no usable range
    /// below the limit can hold it. Only the metadata is ever touched, so the frames above the limit are
    /// managed all the same.
    /// </summary>
    public static FrameAllocatorCreateStatus Create(MemoryMap map, TMem memory, MemoryLock memoryLock, ulong metadataLimit, out FrameAllocator<TMem> allocator)
    {
        allocator = null;
        if (memoryLock == null)
        {
            return FrameAllocatorCreateStatus.NoLock;
        }
        ulong lowest = ulong.MaxValue;
        ulong highest = 0;
        ulong usableFrames = 0;
        for (int i = 0; i < map.Count; i++)
        {
            MemoryRegion region = map[i];
            if (region.IsUsable)
            {
                lowest = lowest < region.Base ? lowest : region.Base;
                highest = highest > region.End ? highest : region.End;
                usableFrames += region.Length >> MemConstants.PageShift;
            }
        }
        if (usableFrames == 0)
        {
            return FrameAllocatorCreateStatus.NoUsableMemory;
        }

        ulong firstFrame = lowest >> MemConstants.PageShift;
        ulong endFrame = highest >> MemConstants.PageShift;
        // Links are 28-bit indices; memory beyond what they can name stays unmanaged.
        if (endFrame - firstFrame > FrameEntry.NoFrame)
        {
            endFrame = firstFrame + FrameEntry.NoFrame;
        }
        ulong frameSpan = endFrame - firstFrame;
        ulong metadataBytes = MemConstants.AlignUp(frameSpan * FrameEntry.SizeInBytes, MemConstants.PageSize);
        if (!TryPlaceMetadata(map, metadataBytes, metadataLimit, out ulong metadataBase))
        {
            return FrameAllocatorCreateStatus.NoRoomForMetadata;
        }
        if (metadataBytes >> MemConstants.PageShift >= usableFrames)
        {
            return FrameAllocatorCreateStatus.NoUsableMemory;
        }
        if (map.Reserve(metadataBase, metadataBytes, MemoryRegionKind.FrameMetadata) != MemoryMapStatus.Ok)
        {
            return FrameAllocatorCreateStatus.MemoryMapFull;
        }

        allocator = new FrameAllocator<TMem>(memory, memoryLock, metadataBase, metadataBytes, firstFrame, (uint)frameSpan);
        allocator.ClearMetadata();
        allocator.ReleaseUsableRegions(map);
        return FrameAllocatorCreateStatus.Ok;
    }

    /// <inheritdoc/>
    public MemoryLock Lock => _lock;

    /// <summary>Physical address of the mem_map.</summary>
    public ulong MetadataBase => _metadataBase;

    /// <summary>Size of the mem_map, whole pages.</summary>
    public ulong MetadataBytes => _metadataBytes;

    /// <summary>The lowest physical address the mem_map describes.</summary>
    public ulong ManagedBase => _firstFrame << MemConstants.PageShift;

    /// <summary>The first physical address past what the mem_map describes.</summary>
    public ulong ManagedEnd => (_firstFrame + _frameSpan) << MemConstants.PageShift;

    /// <summary>Frames the allocator hands out (free or allocated), in all zones.</summary>
    public ulong TotalFrames
    {
        get
        {
            ulong state = _lock.Enter();
            ulong total = _zoneTotalFrames[0] + _zoneTotalFrames[1] + _zoneTotalFrames[2];
            _lock.Exit(state);
            return total;
        }
    }

    public ulong FreeFrames
    {
        get
        {
            ulong state = _lock.Enter();
            ulong free = FreeFramesLocked();
            _lock.Exit(state);
            return free;
        }
    }

    public ulong AllocatedFrames
    {
        get
        {
            ulong state = _lock.Enter();
            ulong allocated = _zoneTotalFrames[0] + _zoneTotalFrames[1] + _zoneTotalFrames[2] - FreeFramesLocked();
            _lock.Exit(state);
            return allocated;
        }
    }

    /// <summary>The largest free block in any zone, in frames.</summary>
    public ulong LargestFreeBlockFrames
    {
        get
        {
            ulong state = _lock.Enter();
            ulong largest = 0;
            for (int zone = 0; zone < Zone.Count; zone++)
            {
                ulong frames = LargestFreeBlockIn(zone);
                largest = frames > largest ? frames : largest;
            }
            _lock.Exit(state);
            return largest;
        }
    }

    /// <summary>Free single frames waiting in the zones' caches, outside every buddy block (a one-word read per zone).</summary>
    public ulong CachedFrames => (ulong)_cacheCounts[0] + _cacheCounts[1] + _cacheCounts[2];

    /// <summary>Frees that were refused (double frees, foreign or misaligned addresses, empty runs).</summary>
    public ulong RejectedFrees => _rejectedFrees;

    /// <summary>The address of the most recent refused free, for a panic or log message.</summary>
    public ulong LastRejectedFree => _lastRejectedFree;

    /// <summary>How many frees were refused with <paramref name="status"/>.</summary>
    public ulong RejectedFreeCount(FrameFreeStatus status)
        => (uint)status < (uint)RejectionKinds ? _rejectedFreesByStatus[(int)status] : 0;

    /// <summary>Statistics of one zone.</summary>
    public Zone GetZone(ZoneId id)
    {
        if ((uint)id >= Zone.Count)
        {
            return default;
        }
        int zone = (int)id;
        ulong state = _lock.Enter();
        var figures = new Zone(id, _zoneTotalFrames[zone], _zoneFreeFrames[zone], LargestFreeBlockIn(zone));
        _lock.Exit(state);
        return figures;
    }

    /// <summary>How many free blocks of <paramref name="order"/> the zone holds (for the shell's <c>frames</c>).</summary>
    public ulong FreeBlockCount(ZoneId id, int order)
    {
        if ((uint)id >= Zone.Count || (uint)order > MaxOrder)
        {
            return 0;
        }
        return _freeBlockCounts[ListIndex((int)id, order)];
    }

    /// <summary>Allocates one frame from any zone, trying Normal, then DMA32, then DMA.</summary>
    public bool Allocate(out ulong physical) => Allocate(ZoneId.Normal, out physical);

    /// <summary>
    /// Allocates one frame from <paramref name="highestZone"/> or, when it is exhausted, from the zones
    /// below it. Returns false, with <paramref name="physical"/> 0, when none of them has a free frame.
    /// </summary>
    public bool Allocate(ZoneId highestZone, out ulong physical)
    {
        ulong state = _lock.Enter();
        bool allocated = AllocateLocked(highestZone, out physical);
        _lock.Exit(state);
        return allocated;
    }

    private bool AllocateLocked(ZoneId highestZone, out ulong physical)
    {
        if ((uint)highestZone < Zone.Count)
        {
            for (int zone = (int)highestZone; zone >= 0; zone--)
            {
                if (AllocateFromBlocks(zone, out physical))
                {
                    return true;
                }
            }
        }
        physical = 0;
        return false;
    }

    /// <summary>As <see cref="AllocateLocked"/>, taking each zone's cached frames before its blocks.</summary>
    private bool AllocateCachedLocked(ZoneId highestZone, out ulong physical)
    {
        if ((uint)highestZone < Zone.Count)
        {
            for (int zone = (int)highestZone; zone >= 0; zone--)
            {
                uint cached = _cacheHeads[zone];
                if (cached != FrameEntry.NoFrame)
                {
                    _cacheHeads[zone] = EntryAt(cached)->Next;
                    _cacheCounts[zone]--;
                    _zoneFreeFrames[zone]--;
                    *EntryAt(cached) = FrameEntry.Allocated(FrameTag.None);
                    physical = AddressOf(cached);
                    return true;
                }
                if (AllocateFromBlocks(zone, out physical))
                {
                    return true;
                }
            }
        }
        physical = 0;
        return false;
    }

    /// <summary>One frame from the smallest free block of <paramref name="zone"/>, splitting it.</summary>
    private bool AllocateFromBlocks(int zone, out ulong physical)
    {
        if (_zoneFreeFrames[zone] != _cacheCounts[zone])
        {
            for (int order = 0; order <= MaxOrder; order++)
            {
                uint block = _freeHeads[ListIndex(zone, order)];
                if (block != FrameEntry.NoFrame)
                {
                    CarveRun(zone, block, order, block, 1);
                    physical = AddressOf(block);
                    return true;
                }
            }
        }
        physical = 0;
        return false;
    }

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

    /// <summary>Returns one frame. Anything but <see cref="FrameFreeStatus.Ok"/> is counted and changes nothing.</summary>
    public FrameFreeStatus Free(ulong physical) => FreeRun(physical, 1);

    /// <summary>
    /// Returns <paramref name="frameCount"/> contiguous frames starting at <paramref name="physical"/>;
    /// each must be allocated (they need not come from one allocation). They coalesce with free buddies.
    /// When any frame fails the check, the first failure is reported and counted and nothing changes.
    /// </summary>
    public FrameFreeStatus FreeRun(ulong physical, ulong frameCount)
    {
        ulong state = _lock.Enter();
        FrameFreeStatus status = FreeRunLocked(physical, frameCount);
        _lock.Exit(state);
        return status;
    }

    private FrameFreeStatus FreeRunLocked(ulong physical, ulong frameCount)
    {
        FrameFreeStatus status = CheckRunIsAllocated(physical, frameCount);
        if (status != FrameFreeStatus.Ok)
        {
            Reject(status, physical);
            return status;
        }

        uint first = IndexOf(physical);
        uint end = first + (uint)frameCount;
        for (uint index = first; index < end; index++)
        {
            *EntryAt(index) = FrameEntry.Of(FrameState.Free);
            _zoneFreeFrames[ZoneOfFrame(_firstFrame + index)]++;
        }
        ReleaseBlocks(first, end);
        return FrameFreeStatus.Ok;
    }

    /// <summary>
    /// Allocates <paramref name="count"/> single frames from <paramref name="highestZone"/> or below into
    /// <paramref name="frames"/>, tagged <paramref name="firstTag"/> + i unless it is <see cref="FrameTag.None"/>,
    /// under one lock; all or nothing (see <see cref="IFrameSource.TryAllocateFrames"/>).
    /// </summary>
    public bool AllocateFrames(ZoneId highestZone, ulong* frames, ulong count, ulong firstTag)
    {
        if (count != 0 && firstTag != FrameTag.None && (firstTag > FrameTag.Mask || count - 1 > FrameTag.Mask - firstTag))
        {
            return false;
        }
        ulong state = _lock.Enter();
        ulong taken = 0;
        while (taken < count && AllocateCachedLocked(highestZone, out frames[taken]))
        {
            if (firstTag != FrameTag.None)
            {
                *EntryAt(IndexOf(frames[taken])) = FrameEntry.Allocated(firstTag + taken);
            }
            taken++;
        }
        bool allocated = taken == count;
        if (!allocated)
        {
            for (ulong i = 0; i < taken; i++)
            {
                FreeCachedLocked(frames[i]);
            }
        }
        _lock.Exit(state);
        return allocated;
    }

    /// <summary>Frees every frame listed in <paramref name="frames"/> but zeros under one lock; returns how many frees were refused (and counted).</summary>
    public ulong FreeFrameList(ulong* frames, ulong count)
    {
        ulong refused = 0;
        ulong state = _lock.Enter();
        for (ulong i = 0; i < count; i++)
        {
            if (frames[i] != 0 && FreeCachedLocked(frames[i]) != FrameFreeStatus.Ok)
            {
                refused++;
            }
        }
        _lock.Exit(state);
        return refused;
    }

    /// <inheritdoc/>
    /// <remarks>Through the cache of single frames, as <see cref="AllocateFrames"/>.</remarks>
    public bool TryAllocateFrame(out ulong physical)
    {
        ulong state = _lock.Enter();
        bool allocated = AllocateCachedLocked(ZoneId.Normal, out physical);
        _lock.Exit(state);
        return allocated;
    }

    /// <inheritdoc/>
    public bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag) => AllocateFrames(ZoneId.Normal, frames, count, firstTag);

    /// <inheritdoc/>
    /// <remarks>Refusals show in <see cref="RejectedFrees"/>; <see cref="FreeFrameList"/> counts them.</remarks>
    void IFrameSource.FreeFrames(ulong* frames, ulong count) => FreeFrameList(frames, count);

    /// <inheritdoc/>
    /// <remarks>
    /// Into the cache of single frames, as <see cref="FreeFrameList"/>. A refused free shows in
    /// <see cref="RejectedFrees"/>; use <see cref="Free"/> to see the status.
    /// </remarks>
    public void FreeFrame(ulong physical)
    {
        ulong state = _lock.Enter();
        FreeCachedLocked(physical);
        _lock.Exit(state);
    }

    /// <inheritdoc/>
    /// <remarks>Frames of runs can be tagged one by one; frees of any kind erase the tags of what they free.</remarks>
    public bool TrySetFrameTag(ulong physical, ulong tag)
    {
        if (tag > FrameTag.Mask)
        {
            return false;
        }
        ulong state = _lock.Enter();
        FrameEntry* entry = AllocatedEntryOf(physical);
        if (entry != null)
        {
            *entry = FrameEntry.Allocated(tag);
        }
        _lock.Exit(state);
        return entry != null;
    }

    /// <inheritdoc/>
    public bool TryGetFrameTag(ulong physical, out ulong tag)
    {
        ulong state = _lock.Enter();
        FrameEntry* entry = AllocatedEntryOf(physical);
        tag = entry == null ? 0 : entry->Tag;
        _lock.Exit(state);
        return entry != null;
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

    /// <summary>The lowest place for <paramref name="bytes"/> in one usable range, ending at or below <paramref name="limit"/>, preferring 16 MiB and up.</summary>
    private static bool TryPlaceMetadata(MemoryMap map, ulong bytes, ulong limit, out ulong physical)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            ulong floor = pass == 0 ? PreferredMetadataBase : 0;
            for (int i = 0; i < map.Count; i++)
            {
                MemoryRegion region = map[i];
                ulong start = region.Base > floor ? region.Base : floor;
                ulong end = region.End < limit ? region.End : limit;
                if (region.IsUsable && start < end && end - start >= bytes)
                {
                    physical = start;
                    return true;
                }
            }
        }
        physical = 0;
        return false;
    }

    /// <summary>Marks every mem_map entry reserved; usable frames are then released one region at a time.</summary>
    private void ClearMetadata()
    {
        const int WordsPerPage = (int)(MemConstants.PageSize / sizeof(ulong));
        for (ulong page = 0; page < _metadataBytes; page += MemConstants.PageSize)
        {
            // Access promises a pointer valid for the whole frame, not beyond it.
            ulong* words = (ulong*)_memory.Access(_metadataBase + page);
            for (int i = 0; i < WordsPerPage; i++)
            {
                words[i] = 0;
            }
        }
    }

    private void ReleaseUsableRegions(MemoryMap map)
    {
        ulong endFrame = _firstFrame + _frameSpan;
        for (int i = 0; i < map.Count; i++)
        {
            MemoryRegion region = map[i];
            if (!region.IsUsable)
            {
                continue;
            }
            ulong first = region.Base >> MemConstants.PageShift;
            ulong end = region.End >> MemConstants.PageShift;
            first = first > _firstFrame ? first : _firstFrame;
            end = end < endFrame ? end : endFrame;
            if (first >= end)
            {
                continue;
            }
            for (ulong frame = first; frame < end; frame++)
            {
                *EntryAt((uint)(frame - _firstFrame)) = FrameEntry.Of(FrameState.Free);
                int zone = ZoneOfFrame(frame);
                _zoneTotalFrames[zone]++;
                _zoneFreeFrames[zone]++;
            }
            ReleaseBlocks((uint)(first - _firstFrame), (uint)(end - _firstFrame));
        }
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

    /// <summary>
    /// Puts the frames [<paramref name="first"/>, <paramref name="end"/>), already marked
    /// <see cref="FrameState.Free"/>, on the free lists as the largest aligned blocks that tile the
    /// range, each coalescing with free buddies. Does not touch the free-frame counters.
    /// </summary>
    private void ReleaseBlocks(uint first, uint end)
    {
        uint index = first;
        while (index < end)
        {
            int alignedOrder = BitOperations.TrailingZeroCount(_firstFrame + index);
            int fittingOrder = BitOperations.Log2(end - index);
            int order = alignedOrder < fittingOrder ? alignedOrder : fittingOrder;
            order = order < MaxOrder ? order : MaxOrder;
            InsertFreeBlock(index, order);
            index += 1u << order;
        }
    }

    /// <summary>
    /// Adds the free block at <paramref name="index"/> (all its entries <see cref="FrameState.Free"/>)
    /// to the free lists, first merging it with its buddy for as long as the buddy is a free block of the
    /// same order.
    /// </summary>
    private void InsertFreeBlock(uint index, int order)
    {
        ulong frame = _firstFrame + index;
        int zone = ZoneOfFrame(frame);
        while (order < MaxOrder)
        {
            ulong buddy = frame ^ (1UL << order);
            if (buddy < _firstFrame || buddy - _firstFrame >= _frameSpan)
            {
                break;
            }
            uint buddyIndex = (uint)(buddy - _firstFrame);
            FrameEntry buddyEntry = *EntryAt(buddyIndex);
            if (buddyEntry.State != FrameState.FreeHead || buddyEntry.Order != order)
            {
                break;
            }
            Unlink(zone, buddyIndex, order);
            *EntryAt(buddyIndex) = FrameEntry.Of(FrameState.Free);
            frame &= ~(1UL << order);
            order++;
        }
        Push(zone, (uint)(frame - _firstFrame), order);
    }

    private void Push(int zone, uint index, int order)
    {
        int list = ListIndex(zone, order);
        uint head = _freeHeads[list];
        *EntryAt(index) = FrameEntry.FreeHead(order, head, FrameEntry.NoFrame);
        if (head != FrameEntry.NoFrame)
        {
            FrameEntry* headEntry = EntryAt(head);
            *headEntry = headEntry->WithPrev(index);
        }
        _freeHeads[list] = index;
        _freeBlockCounts[list]++;
    }

    /// <summary>Takes a free head off its list; the caller gives the entry its new state.</summary>
    private void Unlink(int zone, uint index, int order)
    {
        int list = ListIndex(zone, order);
        FrameEntry entry = *EntryAt(index);
        if (entry.Prev != FrameEntry.NoFrame)
        {
            FrameEntry* previous = EntryAt(entry.Prev);
            *previous = previous->WithNext(entry.Next);
        }
        else
        {
            _freeHeads[list] = entry.Next;
        }
        if (entry.Next != FrameEntry.NoFrame)
        {
            FrameEntry* next = EntryAt(entry.Next);
            *next = next->WithPrev(entry.Prev);
        }
        _freeBlockCounts[list]--;
    }

    private FrameFreeStatus CheckRunIsAllocated(ulong physical, ulong frameCount)
    {
        if (frameCount == 0)
        {
            return FrameFreeStatus.EmptyRun;
        }
        if ((physical & MemConstants.PageMask) != 0)
        {
            return FrameFreeStatus.Misaligned;
        }
        ulong frame = physical >> MemConstants.PageShift;
        if (frame < _firstFrame || frame - _firstFrame >= _frameSpan || frameCount > _frameSpan - (frame - _firstFrame))
        {
            return FrameFreeStatus.OutsideManagedRange;
        }
        uint first = (uint)(frame - _firstFrame);
        uint end = first + (uint)frameCount;
        for (uint index = first; index < end; index++)
        {
            switch (EntryAt(index)->State)
            {
                case FrameState.Allocated:
                    break;
                case FrameState.Free:
                case FrameState.FreeHead:
                case FrameState.Cached:
                    return FrameFreeStatus.AlreadyFree;
                default:
                    return FrameFreeStatus.NotManaged;
            }
        }
        return FrameFreeStatus.Ok;
    }

    /// <summary>The entry of the allocated frame holding <paramref name="physical"/>, or null when it is free or unmanaged.</summary>
    private FrameEntry* AllocatedEntryOf(ulong physical)
    {
        ulong frame = physical >> MemConstants.PageShift;
        if (frame < _firstFrame || frame - _firstFrame >= _frameSpan)
        {
            return null;
        }
        FrameEntry* entry = EntryAt((uint)(frame - _firstFrame));
        return entry->State == FrameState.Allocated ? entry : null;
    }

    /// <summary>Frees one allocated frame into its zone's cache, or into its blocks when the cache is full.</summary>
    private FrameFreeStatus FreeCachedLocked(ulong physical)
    {
        // The common case checked inline: an aligned, managed, allocated frame.
        ulong frameNumber = physical >> MemConstants.PageShift;
        bool allocated = (physical & MemConstants.PageMask) == 0 && frameNumber - _firstFrame < _frameSpan
            && EntryAt((uint)(frameNumber - _firstFrame))->State == FrameState.Allocated;
        if (!allocated)
        {
            FrameFreeStatus status = CheckRunIsAllocated(physical, 1);
            Reject(status, physical);
            return status;
        }
        uint index = IndexOf(physical);
        int zone = ZoneOfFrame(_firstFrame + index);
        _zoneFreeFrames[zone]++;
        if (_cacheCounts[zone] < CacheCapacity)
        {
            *EntryAt(index) = FrameEntry.Cached(_cacheHeads[zone]);
            _cacheHeads[zone] = index;
            _cacheCounts[zone]++;
        }
        else
        {
            *EntryAt(index) = FrameEntry.Of(FrameState.Free);
            ReleaseBlocks(index, index + 1);
        }
        return FrameFreeStatus.Ok;
    }

    /// <summary>Gives every cached frame back to the buddy blocks, merging as it goes; they stay free.</summary>
    private void DrainCacheLocked()
    {
        for (int zone = 0; zone < Zone.Count; zone++)
        {
            uint index = _cacheHeads[zone];
            while (index != FrameEntry.NoFrame)
            {
                uint next = EntryAt(index)->Next;
                *EntryAt(index) = FrameEntry.Of(FrameState.Free);
                ReleaseBlocks(index, index + 1);
                index = next;
            }
            _cacheHeads[zone] = FrameEntry.NoFrame;
            _cacheCounts[zone] = 0;
        }
    }

    private void Reject(FrameFreeStatus status, ulong physical)
    {
        _rejectedFrees++;
        _rejectedFreesByStatus[(int)status]++;
        _lastRejectedFree = physical;
    }

    private ulong FreeFramesLocked() => _zoneFreeFrames[0] + _zoneFreeFrames[1] + _zoneFreeFrames[2];

    private ulong LargestFreeBlockIn(int zone)
    {
        for (int order = MaxOrder; order >= 0; order--)
        {
            if (_freeBlockCounts[ListIndex(zone, order)] != 0)
            {
                return 1UL << order;
            }
        }
        return 0;
    }

    /// <summary>
    /// The mem_map entry at <paramref name="index"/>. The caller must pass an index below the frame span.
    /// Entries never straddle a page (8 divides 4096), so the pointer Access returns covers the whole entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameEntry* EntryAt(uint index)
        => (FrameEntry*)_memory.Access(_metadataBase + (ulong)index * FrameEntry.SizeInBytes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong AddressOf(uint index) => (_firstFrame + index) << MemConstants.PageShift;

    /// <summary>The mem_map index of a managed frame's address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint IndexOf(ulong physical) => (uint)((physical >> MemConstants.PageShift) - _firstFrame);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ZoneOfFrame(ulong frame) => (int)Zone.Of(frame << MemConstants.PageShift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ListIndex(int zone, int order) => zone * OrderCount + order;
}
