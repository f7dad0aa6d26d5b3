using System;
using System.Runtime.CompilerServices;
using Kernel.Mem.Paging;

namespace Kernel.Mem.Heap;

/// <summary>
/// The kernel heap: kmalloc, kfree and krealloc over one virtual range laid out as FOS lays it out (see
/// <see cref="KernelHeapLayout"/>). Requests up to <see cref="MaximumBlockSize"/> bytes go to the block
/// allocator, larger ones to the custom-fit page allocator. Pages are backed when an allocation needs
/// them: a frame from the frame source, mapped supervisor-only, writable and no-execute; when a page is
/// freed it is unmapped and its frame goes back. Translations between heap virtual addresses and the
/// physical addresses of their frames are O(1) either way: virtual to physical through an array with an
/// entry per page of the range, physical to virtual through the <see cref="HeapFrameTag"/> the heap records
/// for each of its frames in the frame source (so the heap keeps nothing per frame of RAM).
/// Every public member holds the memory manager's lock (the frame source's <see cref="MemoryLock"/>, which the
/// mapper holds too) for the whole call: the heap has no lock of its own, since its slow paths reach the
/// mapper and the frame allocator anyway, and its fast path pays one uncontended entry either way.
/// </summary>
/// <remarks>
/// The heap writes its free-block links through the virtual addresses of its range, so the range must be
/// addressable by the running code once mapped: the higher-half heap region in the kernel, an ordinary
/// host buffer in the host tests (where the mapper's tables live in emulated RAM and the virtual addresses
/// are only bookkeeping to it).
/// </remarks>
public sealed unsafe class KernelHeap<TMem, TTlb>
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
{
    public const ulong MaximumBlockSize = HeapAllocator<KernelHeapBacking<TMem, TTlb>>.MaximumBlockSize;

    /// <summary>The block allocator's size classes: <see cref="GetClassStatistics"/> takes 0 up to this less one.</summary>
    public const int BlockClassCount = HeapAllocator<KernelHeapBacking<TMem, TTlb>>.BlockClassCount;

    /// <summary>Heap pages are data: kernel-only (no User bit), writable, never executable.</summary>
    public const PageFlags HeapPageFlags = PageFlags.Writable | PageFlags.NoExecute;

    // The translation array holds a frame number + 1 so that 0 can mean "none".
    private const uint NoEntry = 0;

    /// <summary>Frames at or above this number do not fit the translation array and are refused as if exhausted (16 TiB).</summary>
    private const ulong FrameNumberLimit = uint.MaxValue;

    /// <summary>Pages committed or decommitted per frame-source and mapper call (their frame lists live on the stack).</summary>
    private const int CommitBatch = 64;

    private readonly Mapper<TMem, TTlb> _mapper;
    private readonly IFrameSource _frames;
    private readonly MemoryLock _lock;
    private readonly KernelHeapLayout _layout;
    private readonly HeapAllocator<KernelHeapBacking<TMem, TTlb>> _heap;
    private readonly uint* _frameOfPage;
    private readonly ulong _metadataBytes;
    private bool _scrub;

    private ulong _frameCount;

    /// <summary>
    /// Builds a heap over <paramref name="layout"/>, whose range must be unmapped in <paramref name="mapper"/>'s
    /// address space. The heap keeps its metadata in the <paramref name="metadataLength"/> bytes at
    /// <paramref name="metadata"/>, which the caller owns, writable, for the heap's lifetime: at least
    /// <see cref="MetadataBytes"/>(<paramref name="layout"/>) of them, zeroed, 8-byte aligned, outside the range. Any
    /// other layout or metadata is refused with a status before a byte is written, and
    /// <paramref name="heap"/> is null. The heap tags every frame it maps with
    /// <see cref="IFrameSource.TrySetFrameTag"/>; a frame <paramref name="frames"/> will not tag, or whose
    /// number does not fit in 32 bits, is refused as if frames had run out. The mapper and the frame source
    /// must share one lock (the mapper takes its tables from that source, or from one that wraps it).
    /// </summary>
    public static KernelHeapCreateStatus Create(
        Mapper<TMem, TTlb> mapper, IFrameSource frames, KernelHeapLayout layout, byte* metadata, ulong metadataLength, out KernelHeap<TMem, TTlb> heap)
    {
        heap = null;
        if (!layout.IsValid)
        {
            return KernelHeapCreateStatus.InvalidLayout;
        }
        if (mapper.Lock != frames.Lock)
        {
            return KernelHeapCreateStatus.LockMismatch;
        }
        ulong needed = MetadataBytes(layout);
        if (metadata == null || metadataLength < needed)
        {
            return KernelHeapCreateStatus.MetadataTooSmall;
        }
        ulong metadataStart = (ulong)metadata;
        if (!MemConstants.IsAligned(metadataStart, MetadataCarver.Alignment))
        {
            return KernelHeapCreateStatus.MisalignedMetadata;
        }
        bool overlaps = metadataStart < layout.End && (metadataStart >= layout.Start || layout.Start - metadataStart < needed);
        if (overlaps)
        {
            return KernelHeapCreateStatus.MetadataInsideRange;
        }
        heap = new KernelHeap<TMem, TTlb>(mapper, frames, layout, metadata, metadataLength);
        return KernelHeapCreateStatus.Ok;
    }

    // Create has checked the layout and that the metadata holds MetadataBytes(layout): every piece carved here fits.
    private KernelHeap(Mapper<TMem, TTlb> mapper, IFrameSource frames, KernelHeapLayout layout, byte* metadata, ulong metadataLength)
    {
        _mapper = mapper;
        _frames = frames;
        _lock = frames.Lock;
        _layout = layout;
        var backing = new KernelHeapBacking<TMem, TTlb>(this);
        ulong allocatorBytes = HeapAllocator<KernelHeapBacking<TMem, TTlb>>.MetadataBytes(layout.BlockAreaPages, layout.PageAreaPages);
        _heap = new HeapAllocator<KernelHeapBacking<TMem, TTlb>>(backing, layout.BlockAreaStart, layout.BlockAreaPages,
            layout.PageAreaStart, layout.PageAreaPages, metadata, allocatorBytes);
        var carver = new MetadataCarver(metadata + allocatorBytes, metadataLength - allocatorBytes);
        _frameOfPage = (uint*)carver.Take(layout.RangePages * sizeof(uint));
        _metadataBytes = (ulong)(carver.Used - metadata);
    }

    /// <summary>
    /// The metadata bytes a heap over <paramref name="layout"/> needs: 80 bytes per block-area page,
    /// 20 bytes and a bit per page-area page, and 4 bytes per page of the range (virtual to physical).
    /// Nothing grows with RAM: physical to virtual goes through the frame tags.
    /// </summary>
    public static ulong MetadataBytes(KernelHeapLayout layout) =>
        HeapAllocator<KernelHeapBacking<TMem, TTlb>>.MetadataBytes(layout.BlockAreaPages, layout.PageAreaPages)
        + MetadataCarver.Round(layout.RangePages * sizeof(uint));

    public KernelHeapLayout Layout => _layout;

    /// <summary>
    /// Hands every managed object the heap made at construction (its two allocators and the block
    /// allocator's counter arrays) to <paramref name="free"/>: a kernel without a garbage collector that
    /// tears a heap down must return them explicitly. The heap is unusable afterwards; the caller frees the
    /// heap object itself last.
    /// </summary>
    public void ReleaseObjects(delegate*<object, FreeStatus> free)
    {
        ulong state = _lock.Enter();
        _heap.ReleaseObjects(free);
        free(_heap);
        _lock.Exit(state);
    }

    /// <summary>
    /// Off by default. When on, allocations are filled with <see cref="HeapScrub.OnAllocation"/> and freed
    /// memory with <see cref="HeapScrub.OnFree"/> (except a freed block's first two bytes, its free-list link).
    /// </summary>
    public bool Scrub
    {
        get => _scrub;
        set
        {
            ulong state = _lock.Enter();
            _scrub = value;
            _heap.Scrub = value;
            _lock.Exit(state);
        }
    }

    /// <summary>The verdict of the last bad free or reallocation, and its address, for the kernel's report.</summary>
    public FreeStatus LastBadFree => _heap.LastBadFree;

    public ulong LastBadFreeAddress => _heap.LastBadFreeAddress;

    public ulong BadFrees => _heap.BadFrees;

    /// <summary>
    /// kmalloc: returns at least <paramref name="size"/> bytes, 8-byte aligned (blocks are aligned to their
    /// power-of-two size, page allocations to a page), or null when <paramref name="size"/> is 0 or the
    /// memory cannot be had; a failure leaves nothing mapped and no frame taken.
    /// </summary>
    public void* Allocate(ulong size)
    {
        ulong state = _lock.Enter();
        void* memory = _heap.Allocate(size);
        _lock.Exit(state);
        return memory;
    }

    /// <summary>As <see cref="Allocate(ulong)"/>, with the memory cleared (what the runtime needs for new objects).</summary>
    public void* AllocateZeroed(ulong size)
    {
        ulong state = _lock.Enter();
        void* memory = _heap.Allocate(size, out ulong usable);
        _lock.Exit(state);
        // The memory is the caller's alone from here: clear it outside the lock.
        if (memory != null)
        {
            HeapMemory.Fill((byte*)memory, usable, 0);
        }
        return memory;
    }

    /// <summary>kfree; see <see cref="HeapAllocator{TBacking}.Free"/>.</summary>
    public FreeStatus Free(void* address)
    {
        ulong state = _lock.Enter();
        FreeStatus status = _heap.Free(address);
        _lock.Exit(state);
        return status;
    }

    /// <summary>Says what <see cref="Free"/> would make of <paramref name="address"/>, changing and counting nothing.</summary>
    public FreeStatus Check(void* address)
    {
        ulong state = _lock.Enter();
        FreeStatus status = _heap.Check(address);
        _lock.Exit(state);
        return status;
    }

    /// <summary>The bytes usable at <paramref name="address"/> (its block or its pages), or 0 when no live allocation starts there.</summary>
    public ulong UsableSize(void* address)
    {
        ulong state = _lock.Enter();
        ulong usable = _heap.UsableSize(address);
        _lock.Exit(state);
        return usable;
    }

    /// <summary>krealloc; see <see cref="HeapAllocator{TBacking}.Reallocate"/>.</summary>
    public void* Reallocate(void* address, ulong size)
    {
        ulong state = _lock.Enter();
        void* memory = _heap.Reallocate(address, size);
        _lock.Exit(state);
        return memory;
    }

    /// <summary>
    /// kheap_physical_address: the physical address behind <paramref name="virtualAddress"/> when it lies on a
    /// backed heap page, else 0.
    /// </summary>
    public ulong PhysicalAddress(ulong virtualAddress)
    {
        ulong physical;
        return TryGetPhysicalAddress(virtualAddress, out physical) ? physical : 0;
    }

    public bool TryGetPhysicalAddress(ulong virtualAddress, out ulong physicalAddress)
    {
        physicalAddress = 0;
        ulong page = (virtualAddress - _layout.Start) >> MemConstants.PageShift;
        // One aligned word, read without the lock: the answer can change as soon as it is given either way.
        uint entry = page < _layout.RangePages ? _frameOfPage[page] : NoEntry;
        if (entry == NoEntry)
        {
            return false;
        }
        physicalAddress = ((ulong)(entry - 1) << MemConstants.PageShift) | (virtualAddress & MemConstants.PageMask);
        return true;
    }

    /// <summary>
    /// kheap_virtual_address: the heap virtual address of <paramref name="physicalAddress"/> when its frame backs
    /// a page of this heap, else 0.
    /// </summary>
    public ulong VirtualAddress(ulong physicalAddress)
    {
        ulong virtualAddress;
        return TryGetVirtualAddress(physicalAddress, out virtualAddress) ? virtualAddress : 0;
    }

    /// <summary>
    /// O(1): the frame's tag names a page, which counts only when the tag carries the heap marker, the page
    /// lies in this heap's range and this heap's own record says the page is backed by that very frame (a
    /// tag alone could have been set by another owner, or by another heap on the same frame source).
    /// </summary>
    public bool TryGetVirtualAddress(ulong physicalAddress, out ulong virtualAddress)
    {
        ulong state = _lock.Enter();
        bool found = TryGetVirtualAddressLocked(physicalAddress, out virtualAddress);
        _lock.Exit(state);
        return found;
    }

    private bool TryGetVirtualAddressLocked(ulong physicalAddress, out ulong virtualAddress)
    {
        virtualAddress = 0;
        if (!_frames.TryGetFrameTag(physicalAddress, out ulong tag) || !HeapFrameTag.TryGetPage(tag, out ulong page))
        {
            return false;
        }
        ulong pageIndex = (page - _layout.Start) >> MemConstants.PageShift;
        if (page < _layout.Start || pageIndex >= _layout.RangePages
            || _frameOfPage[pageIndex] != (physicalAddress >> MemConstants.PageShift) + 1)
        {
            return false;
        }
        virtualAddress = page | (physicalAddress & MemConstants.PageMask);
        return true;
    }

    public HeapStatistics GetStatistics()
    {
        ulong state = _lock.Enter();
        HeapStatistics statistics = _heap.GetStatistics();
        statistics.Frames = _frameCount;
        _lock.Exit(state);
        statistics.MetadataBytes = _metadataBytes;
        return statistics;
    }

    /// <summary>
    /// The figures of block size class <paramref name="classIndex"/> (0 for 8 B up to
    /// <see cref="BlockClassCount"/> - 1 for 2 KiB), all zero outside that range. O(1), allocation-free.
    /// </summary>
    public BlockClassStatistics GetClassStatistics(int classIndex)
    {
        ulong state = _lock.Enter();
        BlockClassStatistics statistics = _heap.GetClassStatistics(classIndex);
        _lock.Exit(state);
        return statistics;
    }

    /// <summary>One step of a walk over the page area's holes in address order; see <see cref="HeapAllocator{TBacking}.NextHole"/>.</summary>
    public bool NextHole(ref ulong cursor, out ulong address, out ulong bytes)
    {
        ulong state = _lock.Enter();
        bool found = _heap.NextHole(ref cursor, out address, out bytes);
        _lock.Exit(state);
        return found;
    }

    /// <summary>One step of a walk over the page area's live allocations; see <see cref="HeapAllocator{TBacking}.NextPageAllocation"/>.</summary>
    public bool NextPageAllocation(ref ulong cursor, out ulong address, out ulong bytes)
    {
        ulong state = _lock.Enter();
        bool found = _heap.NextPageAllocation(ref cursor, out address, out bytes);
        _lock.Exit(state);
        return found;
    }

    /// <summary>
    /// Checks the invariants of both allocators (see <see cref="HeapAllocator{TBacking}.Verify"/>) and that the
    /// heap's frame count is the pages they hold, changing nothing. O(pages of the range): for tests and self-tests.
    /// </summary>
    public bool Verify()
    {
        ulong state = _lock.Enter();
        HeapStatistics statistics = _heap.GetStatistics();
        bool valid = _heap.Verify() && _frameCount == statistics.BlockPages + statistics.PagesInUse;
        _lock.Exit(state);
        return valid;
    }

    /// <summary>
    /// With the lock held (the allocators call it from inside an operation): backs the pages
    /// [<paramref name="virtualAddress"/>, + <paramref name="pageCount"/> pages) of the range with fresh frames,
    /// each tagged with its page, all or nothing: when frames, their tags or a page table cannot be had, the
    /// pages backed so far are unmapped and their frames returned (the mapper releases tables it made for
    /// them). Batches of up to <see cref="CommitBatch"/> pages take their frames and tags in one frame-source
    /// call and their mappings in one mapper call, which walks once per page table.
    /// </summary>
    // The frame lists are written before they are read: clearing 1 KiB of stack per call would cost more than the call's work.
    [SkipLocalsInit]
    internal bool CommitPages(ulong virtualAddress, ulong pageCount)
    {
        ulong* frames = stackalloc ulong[CommitBatch];
        ulong done = 0;
        while (done < pageCount)
        {
            ulong batch = pageCount - done < CommitBatch ? pageCount - done : CommitBatch;
            ulong first = virtualAddress + (done << MemConstants.PageShift);
            // The tags of consecutive heap pages are consecutive page numbers (HeapFrameTag).
            if (!_frames.TryAllocateFrames(frames, batch, HeapFrameTag.Of(first)))
            {
                DecommitPages(virtualAddress, done);
                return false;
            }
            if (_mapper.MapPages(first, frames, batch, HeapPageFlags) != PagingStatus.Success)
            {
                // Freeing the frames erases their tags.
                _frames.FreeFrames(frames, batch);
                DecommitPages(virtualAddress, done);
                return false;
            }
            uint* record = _frameOfPage + ((first - _layout.Start) >> MemConstants.PageShift);
            ulong highest = 0;
            for (ulong i = 0; i < batch; i++)
            {
                ulong frameNumber = frames[i] >> MemConstants.PageShift;
                highest = frameNumber > highest ? frameNumber : highest;
                record[i] = (uint)frameNumber + 1;
            }
            if (highest >= FrameNumberLimit)
            {
                // Only past 16 TiB of RAM: the record cannot name this batch's frames, so they go back by the list.
                _mapper.UnmapPages(first, batch, null);
                _frames.FreeFrames(frames, batch);
                new Span<uint>(record, (int)batch).Fill(NoEntry);
                DecommitPages(virtualAddress, done);
                return false;
            }
            _frameCount += batch;
            done += batch;
        }
        return true;
    }

    /// <summary>
    /// With the lock held: unmaps pages backed by <see cref="CommitPages"/> and returns their frames, scrubbing
    /// them first when asked; in batches, each one mapper call (which gives back the frames it unmapped) and one
    /// frame-source call. Every page of such a range is backed: commits are all or nothing.
    /// </summary>
    [SkipLocalsInit]
    internal void DecommitPages(ulong virtualAddress, ulong pageCount)
    {
        if (_scrub && pageCount != 0)
        {
            HeapMemory.Fill((byte*)virtualAddress, pageCount << MemConstants.PageShift, HeapScrub.OnFree);
        }
        ulong* frames = stackalloc ulong[CommitBatch];
        ulong done = 0;
        while (done < pageCount)
        {
            ulong batch = pageCount - done < CommitBatch ? pageCount - done : CommitBatch;
            ulong first = virtualAddress + (done << MemConstants.PageShift);
            _mapper.UnmapPages(first, batch, frames);
            new Span<uint>(_frameOfPage + ((first - _layout.Start) >> MemConstants.PageShift), (int)batch).Fill(NoEntry);
            _frameCount -= batch;
            // The free erases each frame's tag: a stale tag cannot name this heap's page to a later owner.
            _frames.FreeFrames(frames, batch);
            done += batch;
        }
    }
}
