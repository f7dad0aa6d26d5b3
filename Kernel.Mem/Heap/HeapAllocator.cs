using System.Runtime.CompilerServices;

namespace Kernel.Mem.Heap;

/// <summary>
/// The heap's front end over the FOS pair of allocators, the same for kmalloc and for a program's malloc:
/// requests up to <see cref="MaximumBlockSize"/> bytes go to the power-of-two block allocator, larger ones to
/// the custom-fit page allocator; a free goes to the allocator whose area holds the address; realloc keeps an
/// allocation in place where it can. Bad frees (outside the heap, inside an allocation, double, misaligned)
/// change nothing and are counted. Memory is backed through <typeparamref name="TBacking"/>: frames mapped by
/// the kernel heap, or pages reserved through system calls in a user program. Not thread-safe.
/// </summary>
public sealed unsafe class HeapAllocator<TBacking>
    where TBacking : struct, IPageBacking
{
    public const ulong MaximumBlockSize = BlockAllocator<TBacking>.MaximumBlockSize;

    public const int BlockClassCount = BlockAllocator<TBacking>.ClassCount;

    private readonly BlockAllocator<TBacking> _blocks;
    private readonly PageAllocator<TBacking> _pages;
    private readonly ulong _pageAreaSize;
    private bool _scrub;

    private ulong _allocations;
    private ulong _frees;
    private ulong _reallocations;
    private ulong _failedAllocations;
    private ulong _outsideHeapFrees;
    private ulong _insideAllocationFrees;
    private ulong _doubleFrees;
    private ulong _misalignedFrees;
    private ulong _neverAllocatedFrees;
    private ulong _notAllocatedFrees;

    /// <summary>
    /// A heap whose block area is the <paramref name="blockAreaPages"/> pages at <paramref name="blockAreaStart"/>
    /// and whose page area is the <paramref name="pageAreaPages"/> pages at <paramref name="pageAreaStart"/>,
    /// keeping its bookkeeping in the <paramref name="metadataLength"/> bytes at <paramref name="metadata"/>,
    /// which must hold <see cref="MetadataBytes"/> of them, 8-byte aligned and zeroed, for the heap's lifetime.
    /// </summary>
    public HeapAllocator(TBacking backing, ulong blockAreaStart, uint blockAreaPages, ulong pageAreaStart, uint pageAreaPages, byte* metadata, ulong metadataLength)
    {
        ulong blockBytes = BlockAllocator<TBacking>.MetadataBytes(blockAreaPages);
        _blocks = new BlockAllocator<TBacking>(backing, blockAreaStart, blockAreaPages, metadata, blockBytes);
        _pages = new PageAllocator<TBacking>(backing, pageAreaStart, pageAreaPages, metadata + blockBytes, metadataLength - blockBytes);
        _pageAreaSize = (ulong)pageAreaPages << MemConstants.PageShift;
    }

    /// <summary>The metadata bytes the two allocators need: 80 per block-area page, 20 and a bit per page-area page.</summary>
    public static ulong MetadataBytes(uint blockAreaPages, uint pageAreaPages) =>
        BlockAllocator<TBacking>.MetadataBytes(blockAreaPages) + PageAllocator<TBacking>.MetadataBytes(pageAreaPages);

    /// <summary>
    /// Hands every managed object the heap made (its two allocators and the block allocator's counter arrays)
    /// to <paramref name="free"/>: a kernel without a garbage collector that tears a heap down must return
    /// them explicitly. The heap is unusable afterwards; the caller frees the heap object itself last.
    /// </summary>
    public void ReleaseObjects(delegate*<object, FreeStatus> free)
    {
        _blocks.ReleaseObjects(free);
        free(_blocks);
        free(_pages);
    }

    /// <summary>
    /// Off by default. When on, allocations are filled with <see cref="HeapScrub.OnAllocation"/> and freed
    /// blocks with <see cref="HeapScrub.OnFree"/> (except a freed block's first two bytes, its free-list link).
    /// </summary>
    public bool Scrub
    {
        get => _scrub;
        set
        {
            _scrub = value;
            _blocks.ScrubOnFree = value;
        }
    }

    /// <summary>The page area's break: pages at or above it have never been handed out (or came back).</summary>
    public ulong Break => _pages.Break;

    /// <summary>Whether <paramref name="address"/> lies in the block area or the page area.</summary>
    public bool Contains(ulong address) => _blocks.Contains(address) || _pages.Contains(address);

    /// <summary>The verdict of the last bad free or reallocation, and its address, for the kernel's report.</summary>
    public FreeStatus LastBadFree { get; private set; }

    public ulong LastBadFreeAddress { get; private set; }

    public ulong BadFrees => _outsideHeapFrees + _insideAllocationFrees + _doubleFrees + _misalignedFrees + _neverAllocatedFrees + _notAllocatedFrees;

    /// <summary>
    /// malloc/kmalloc: returns at least <paramref name="size"/> bytes, 8-byte aligned (blocks are aligned to their
    /// power-of-two size, page allocations to a page), or null when <paramref name="size"/> is 0 or the
    /// memory cannot be had; a failure leaves nothing mapped and no frame taken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Allocate(ulong size) => Allocate(size, out _);

    /// <summary>
    /// As <see cref="Allocate(ulong)"/>, also giving the bytes usable at the result (0 when it is null). A block
    /// is served inline (the block allocator's fast path is a pop); pages, scrubbing and failures go out of line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Allocate(ulong size, out ulong usableBytes)
    {
        if (size - 1 < MaximumBlockSize && !_scrub)
        {
            ulong block = _blocks.Allocate(size, out usableBytes);
            if (block != 0)
            {
                _allocations++;
                return (void*)block;
            }
        }
        return AllocateSlow(size, out usableBytes);
    }

    private void* AllocateSlow(ulong size, out ulong usableBytes)
    {
        usableBytes = 0;
        _allocations++;
        if (size == 0)
        {
            return null;
        }
        ulong address;
        ulong usable;
        if (size <= MaximumBlockSize)
        {
            address = _blocks.Allocate(size, out usable);
        }
        else if (size <= _pageAreaSize)
        {
            ulong pageCount = PageAllocator<TBacking>.PagesFor(size);
            address = _pages.Allocate(pageCount);
            usable = pageCount << MemConstants.PageShift;
        }
        else
        {
            address = 0;
            usable = 0;
        }
        if (address == 0)
        {
            _failedAllocations++;
            return null;
        }
        if (_scrub)
        {
            HeapMemory.Fill((byte*)address, usable, HeapScrub.OnAllocation);
        }
        usableBytes = usable;
        return (void*)address;
    }

    /// <summary>As <see cref="Allocate(ulong)"/>, with the memory cleared (what the runtime needs for new objects).</summary>
    public void* AllocateZeroed(ulong size)
    {
        ulong usable;
        void* memory = Allocate(size, out usable);
        if (memory != null)
        {
            HeapMemory.Fill((byte*)memory, usable, 0);
        }
        return memory;
    }

    /// <summary>
    /// free/kfree: releases the allocation that starts at <paramref name="address"/>; null is accepted and does
    /// nothing. Any other address that does not start a live allocation changes nothing: it is counted,
    /// remembered in <see cref="LastBadFree"/>, and its verdict returned for the caller to report.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FreeStatus Free(void* address)
    {
        ulong at = (ulong)address;
        FreeStatus status = _blocks.Free(at);
        if (status == FreeStatus.Freed)
        {
            _frees++;
            return status;
        }
        return FreeOutsideBlocks(at, status);
    }

    /// <summary>The rest of <see cref="Free"/>: null, pages, and the verdicts of bad frees.</summary>
    private FreeStatus FreeOutsideBlocks(ulong at, FreeStatus status)
    {
        if (at == 0)
        {
            return FreeStatus.NullPointer;
        }
        if (status == FreeStatus.OutsideHeap && _pages.Contains(at))
        {
            status = _pages.Free(at);
        }
        if (status == FreeStatus.Freed)
        {
            _frees++;
        }
        else
        {
            RecordBadFree(status, at);
        }
        return status;
    }

    /// <summary>Says what <see cref="Free"/> would make of <paramref name="address"/>, changing and counting nothing.</summary>
    public FreeStatus Check(void* address) => Check((ulong)address, out _);

    /// <summary>The bytes usable at <paramref name="address"/> (its block or its pages), or 0 when no live allocation starts there.</summary>
    public ulong UsableSize(void* address)
    {
        ulong usable;
        return Check((ulong)address, out usable) == FreeStatus.Freed ? usable : 0;
    }

    /// <summary>
    /// realloc/krealloc: null allocates, size 0 frees (and returns null). Otherwise the allocation keeps its address
    /// when its block is big enough, when it shrinks by pages, or when it grows into the hole (or the break)
    /// right after it; else it moves to a new allocation with its contents, and the old one is freed. On
    /// failure it returns null and the original allocation is untouched. A bad address is treated as by
    /// <see cref="Free"/> and returns null.
    /// </summary>
    public void* Reallocate(void* address, ulong size)
    {
        _reallocations++;
        if (address == null)
        {
            return Allocate(size);
        }
        if (size == 0)
        {
            Free(address);
            return null;
        }
        ulong at = (ulong)address;
        ulong oldSize;
        FreeStatus status = Check(at, out oldSize);
        if (status != FreeStatus.Freed)
        {
            RecordBadFree(status, at);
            return null;
        }
        if (size <= oldSize)
        {
            if (_pages.Contains(at))
            {
                _pages.ShrinkInPlace(at, PageAllocator<TBacking>.PagesFor(size));
            }
            return address;
        }
        ulong grownPages = PageAllocator<TBacking>.PagesFor(size);
        if (_pages.Contains(at)
            && size <= _pageAreaSize
            && _pages.TryGrowInPlace(at, grownPages))
        {
            if (_scrub)
            {
                HeapMemory.Fill((byte*)at + oldSize, (grownPages << MemConstants.PageShift) - oldSize, HeapScrub.OnAllocation);
            }
            return address;
        }
        void* moved = Allocate(size);
        if (moved == null)
        {
            return null;
        }
        HeapMemory.Copy((byte*)moved, (byte*)address, oldSize);
        Free(address);
        return moved;
    }

    /// <summary>The allocators' figures; the owner adds what it keeps itself (frames, metadata).</summary>
    public HeapStatistics GetStatistics()
    {
        HeapStatistics statistics = default;
        statistics.BlockBytesInUse = _blocks.BytesInUse;
        statistics.BlockBytesFree = _blocks.BytesFree;
        statistics.BlockPages = _blocks.PagesInUse;
        statistics.BlockBorrows = _blocks.Borrows;
        statistics.PageBytesInUse = _pages.BytesInUse;
        statistics.PageBytesFree = _pages.BytesFree;
        statistics.PagesInUse = _pages.PagesInUse;
        statistics.HoleCount = _pages.HoleCount;
        statistics.LargestHoleBytes = _pages.LargestHoleBytes;
        statistics.Break = _pages.Break;
        statistics.Limit = _pages.Limit;
        statistics.Allocations = _allocations;
        statistics.Frees = _frees;
        statistics.Reallocations = _reallocations;
        statistics.FailedAllocations = _failedAllocations;
        statistics.BadFrees = BadFrees;
        statistics.OutsideHeapFrees = _outsideHeapFrees;
        statistics.InsideAllocationFrees = _insideAllocationFrees;
        statistics.DoubleFrees = _doubleFrees;
        statistics.MisalignedFrees = _misalignedFrees;
        statistics.NeverAllocatedFrees = _neverAllocatedFrees;
        statistics.NotAllocatedFrees = _notAllocatedFrees;
        return statistics;
    }

    /// <summary>
    /// The figures of block size class <paramref name="classIndex"/> (0 for 8 B up to
    /// <see cref="BlockClassCount"/> - 1 for 2 KiB), all zero outside that range. O(1), allocation-free.
    /// </summary>
    public BlockClassStatistics GetClassStatistics(int classIndex) => _blocks.GetClassStatistics(classIndex);

    /// <summary>
    /// One step of a walk over the page area's holes in address order: start <paramref name="cursor"/> at 0
    /// and call until it returns false. The heap must not change during the walk. A whole walk is
    /// O(page allocations + holes); see <see cref="PageAllocator{TBacking}.NextHole"/>.
    /// </summary>
    public bool NextHole(ref ulong cursor, out ulong address, out ulong bytes) => _pages.NextHole(ref cursor, out address, out bytes);

    /// <summary>
    /// One step of a walk over the page area's live allocations (requests above <see cref="MaximumBlockSize"/>)
    /// in address order, with their sizes in whole pages; as <see cref="NextHole"/>. Blocks are not included.
    /// </summary>
    public bool NextPageAllocation(ref ulong cursor, out ulong address, out ulong bytes) =>
        _pages.NextAllocation(ref cursor, out address, out bytes);

    /// <summary>
    /// Checks both allocators' invariants (<see cref="BlockAllocator{TBacking}.Verify"/>,
    /// <see cref="PageAllocator{TBacking}.Verify"/>), changing nothing: for tests and debugging.
    /// </summary>
    public bool Verify() => _blocks.Verify() && _pages.Verify();

    /// <summary>
    /// Says what <see cref="Free"/> would make of <paramref name="address"/>; when it starts a live allocation,
    /// also gives the bytes usable there (its block or its pages), else 0.
    /// </summary>
    private FreeStatus Check(ulong address, out ulong usableBytes)
    {
        usableBytes = 0;
        if (address == 0)
        {
            return FreeStatus.NullPointer;
        }
        if (_blocks.Contains(address))
        {
            return _blocks.Check(address, out usableBytes);
        }
        if (_pages.Contains(address))
        {
            ulong pageCount;
            FreeStatus status = _pages.Check(address, out pageCount);
            usableBytes = pageCount << MemConstants.PageShift;
            return status;
        }
        return FreeStatus.OutsideHeap;
    }

    private void RecordBadFree(FreeStatus status, ulong address)
    {
        switch (status)
        {
            case FreeStatus.OutsideHeap:
                _outsideHeapFrees++;
                break;
            case FreeStatus.InsideAllocation:
                _insideAllocationFrees++;
                break;
            case FreeStatus.DoubleFree:
                _doubleFrees++;
                break;
            case FreeStatus.NeverAllocated:
                _neverAllocatedFrees++;
                break;
            case FreeStatus.NotAllocated:
                _notAllocatedFrees++;
                break;
            default:
                _misalignedFrees++;
                break;
        }
        LastBadFree = status;
        LastBadFreeAddress = address;
    }
}
