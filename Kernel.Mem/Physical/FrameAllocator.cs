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
/// <para>
/// This file is the buddy core (state, single frames, frees, the frame-source seam, tags, the cache);
/// FrameAllocator.Runs.cs holds the contiguous-run search and FrameAllocator.Verification.cs the verifiers.
/// </para>
/// </remarks>
public sealed unsafe partial class FrameAllocator<TMem> : IFrameSource
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
        if (TakeFromCacheLocked(highestZone, frames, count, firstTag))
        {
            _lock.Exit(state);
            return true;
        }
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

    /// <summary>
    /// The common case of <see cref="AllocateFrames"/>: the cache of the first zone from
    /// <paramref name="highestZone"/> down that has free frames at all holds all <paramref name="count"/>,
    /// which are popped in one pass (the frames, and their order, the frame-by-frame path would take: it skips
    /// zones without free frames and takes a zone's cached frames before its blocks). False, changing nothing,
    /// otherwise. On a machine whose memory all lies below 4 GiB the Normal zone is empty and DMA32 serves.
    /// </summary>
    private bool TakeFromCacheLocked(ZoneId highestZone, ulong* frames, ulong count, ulong firstTag)
    {
        if ((uint)highestZone >= Zone.Count)
        {
            return false;
        }
        int zone = (int)highestZone;
        while (zone > 0 && _zoneFreeFrames[zone] == 0)
        {
            zone--;
        }
        ref uint cached = ref _cacheCounts[zone];
        if (cached < count)
        {
            return false;
        }
        ref uint head = ref _cacheHeads[zone];
        uint index = head;
        ulong tagStep = firstTag != FrameTag.None ? 1UL : 0UL;
        for (ulong i = 0; i < count; i++)
        {
            FrameEntry* entry = EntryAt(index);
            uint next = entry->Next;
            *entry = FrameEntry.Allocated(firstTag + i * tagStep);
            frames[i] = AddressOf(index);
            index = next;
        }
        head = index;
        cached -= (uint)count;
        _zoneFreeFrames[zone] -= count;
        return true;
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
    // Inlined into the batch free's loop: a call per frame costs as much as the push itself.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameFreeStatus FreeCachedLocked(ulong physical)
    {
        // The common case checked inline: an aligned, managed, allocated frame, its entry found once.
        ulong frameNumber = physical >> MemConstants.PageShift;
        ulong index = frameNumber - _firstFrame;
        FrameEntry* entry = (physical & MemConstants.PageMask) == 0 && index < _frameSpan ? EntryAt((uint)index) : null;
        if (entry == null || entry->State != FrameState.Allocated)
        {
            FrameFreeStatus status = CheckRunIsAllocated(physical, 1);
            Reject(status, physical);
            return status;
        }
        int zone = ZoneOfFrame(frameNumber);
        _zoneFreeFrames[zone]++;
        ref uint cached = ref _cacheCounts[zone];
        if (cached < CacheCapacity)
        {
            ref uint head = ref _cacheHeads[zone];
            *entry = FrameEntry.Cached(head);
            head = (uint)index;
            cached++;
        }
        else
        {
            *entry = FrameEntry.Of(FrameState.Free);
            ReleaseBlocks((uint)index, (uint)index + 1);
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
