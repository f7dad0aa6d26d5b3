using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kernel.Mem.Heap;

/// <summary>
/// The FOS block allocator for small objects: power-of-two size classes from 8 B to 2 KiB, each page of
/// the block area carved into blocks of one class. Allocation rounds the size up to its class, pops a
/// block from a page of that class that has one; else takes a fresh page (a returned one, else the next
/// one above the area's break) and backs it; else borrows a block from the next larger class that has
/// one; else fails. Freeing the last block of a page returns the page to the backing.
/// </summary>
/// <remarks>
/// Both operations are O(1): each class keeps a doubly linked list of its pages that have a free block,
/// each page keeps its free blocks in an in-page list (16-bit offsets stored in the free blocks) and a
/// count, and an allocation bitmap per page (one bit per 8-byte granule) catches double frees and
/// pointers into a block. Metadata: 80 bytes per page of the area, outside the area. Each class also
/// counts its pages and free blocks on those same paths, so <see cref="GetClassStatistics"/> is O(1).
/// </remarks>
public sealed unsafe class BlockAllocator<TBacking>
    where TBacking : struct, IPageBacking
{
    public const int MinimumBlockShift = 3;
    public const int MaximumBlockShift = 11;
    public const ulong MinimumBlockSize = 1UL << MinimumBlockShift;
    public const ulong MaximumBlockSize = 1UL << MaximumBlockShift;
    public const int ClassCount = MaximumBlockShift - MinimumBlockShift + 1;

    private const uint NoPage = uint.MaxValue;
    private const ushort EndOfList = ushort.MaxValue;
    private const int GranuleShift = MinimumBlockShift;
    private const int BitsPerWord = 64;
    private const int BitmapWordsPerPage = (int)(MemConstants.PageSize >> GranuleShift) / BitsPerWord;
    private const ulong BitmapBytesPerPage = BitmapWordsPerPage * sizeof(ulong);

    private readonly TBacking _backing;
    private readonly ulong _start;
    private readonly uint _pageCount;
    private readonly BlockPage* _pages;
    private readonly ulong* _allocated;
    private readonly uint* _classHeads;
    private readonly ulong _metadataBytes;

    // Per-class counters for introspection, kept on the O(1) paths. Managed arrays made once at construction
    // rather than carved from the metadata, so that MetadataBytes stays what callers have sized for.
    private readonly uint[] _classPages;
    private readonly ulong[] _classFreeBlocks;

    // Pages [0, _break) have been used; returned ones among them are stacked through BlockPage.Next.
    private uint _break;
    private uint _returnedHead;

    private uint _pagesInUse;
    private ulong _failedAllocations;
    private ulong _borrows;

    /// <summary>
    /// Manages the <paramref name="pageCount"/> pages from <paramref name="start"/>. The caller must own
    /// <see cref="MetadataBytes"/>(<paramref name="pageCount"/>) writable, zeroed bytes at <paramref name="metadata"/>,
    /// 8-byte aligned, for the allocator's lifetime; <paramref name="start"/> must be page-aligned and not 0,
    /// and every page that <paramref name="backing"/> commits must be readable and writable at its address.
    /// </summary>
    public BlockAllocator(TBacking backing, ulong start, uint pageCount, byte* metadata, ulong metadataLength)
    {
        _backing = backing;
        _start = start;
        _pageCount = pageCount;
        var carver = new MetadataCarver(metadata, metadataLength);
        _pages = (BlockPage*)carver.Take((ulong)pageCount * (ulong)sizeof(BlockPage));
        _allocated = (ulong*)carver.Take(pageCount * BitmapBytesPerPage);
        _classHeads = (uint*)carver.Take(ClassCount * sizeof(uint));
        _metadataBytes = (ulong)(carver.Used - metadata);
        _classPages = new uint[ClassCount];
        _classFreeBlocks = new ulong[ClassCount];
        for (int i = 0; i < ClassCount; i++)
        {
            _classHeads[i] = NoPage;
        }
        _returnedHead = NoPage;
    }

    /// <summary>Hands the per-class counter arrays to <paramref name="free"/> (see <c>KernelHeap.ReleaseObjects</c>).</summary>
    internal void ReleaseObjects(delegate*<object, FreeStatus> free)
    {
        free(_classPages);
        free(_classFreeBlocks);
    }

    /// <summary>The metadata bytes an area of <paramref name="pageCount"/> pages needs.</summary>
    public static ulong MetadataBytes(uint pageCount) =>
        MetadataCarver.Round((ulong)pageCount * (ulong)sizeof(BlockPage))
        + MetadataCarver.Round(pageCount * BitmapBytesPerPage)
        + MetadataCarver.Round(ClassCount * sizeof(uint));

    public ulong Start => _start;
    public ulong End => _start + ((ulong)_pageCount << MemConstants.PageShift);
    public ulong MetadataBytesUsed => _metadataBytes;

    /// <summary>Bytes of the blocks handed out (block sizes, not requested sizes): summed over the classes, O(classes).</summary>
    public ulong BytesInUse
    {
        get
        {
            ulong bytes = 0;
            for (int sizeClass = 0; sizeClass < ClassCount; sizeClass++)
            {
                bytes += ((ulong)_classPages[sizeClass] * BlocksPerPage(sizeClass) - _classFreeBlocks[sizeClass]) * BlockSizeOf(sizeClass);
            }
            return bytes;
        }
    }

    /// <summary>Bytes of free blocks on backed pages: the backed pages less the blocks in use.</summary>
    public ulong BytesFree => ((ulong)_pagesInUse << MemConstants.PageShift) - BytesInUse;

    public uint PagesInUse => _pagesInUse;

    /// <summary>The address one past the highest page the area has ever used.</summary>
    public ulong Break => _start + ((ulong)_break << MemConstants.PageShift);

    public ulong FailedAllocations => _failedAllocations;

    /// <summary>Allocations served from a larger class because no fresh page could be had.</summary>
    public ulong Borrows => _borrows;

    /// <summary>When set, freed blocks are filled with <see cref="HeapScrub.OnFree"/> (the free-list link then overwrites their first two bytes).</summary>
    public bool ScrubOnFree { get; set; }

    /// <summary>The size class of a request of 1..<see cref="MaximumBlockSize"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ClassOf(ulong size) =>
        size <= MinimumBlockSize ? 0 : BitOperations.Log2(size - 1) + 1 - MinimumBlockShift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong BlockSizeOf(int sizeClass) => MinimumBlockSize << sizeClass;

    public bool Contains(ulong address) => address - _start < ((ulong)_pageCount << MemConstants.PageShift);

    /// <summary>
    /// The figures of size class <paramref name="classIndex"/> (0 for 8-byte blocks up to
    /// <see cref="ClassCount"/> - 1 for 2 KiB ones); all zero for an index outside that range. O(1): the
    /// counters are kept by allocation, free, and taking and returning pages.
    /// </summary>
    public BlockClassStatistics GetClassStatistics(int classIndex)
    {
        BlockClassStatistics statistics = default;
        if ((uint)classIndex >= ClassCount)
        {
            return statistics;
        }
        statistics.BlockSize = BlockSizeOf(classIndex);
        statistics.BlocksPerPage = BlocksPerPage(classIndex);
        statistics.Pages = _classPages[classIndex];
        statistics.FreeBlocks = _classFreeBlocks[classIndex];
        statistics.BlocksInUse = statistics.Pages * statistics.BlocksPerPage - statistics.FreeBlocks;
        return statistics;
    }

    /// <summary>Returns a block of at least <paramref name="size"/> (1..2048) bytes, or 0 when none can be had.</summary>
    public ulong Allocate(ulong size) => Allocate(size, out _);

    /// <summary>
    /// As <see cref="Allocate(ulong)"/>, also giving the size of the block it used (0 on failure). The fast path,
    /// a class with a page that has a free block, is inlined into the caller: a pop from the page's list and a
    /// bitmap bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Allocate(ulong size, out ulong blockSize)
    {
        if (size - 1 < MaximumBlockSize)
        {
            int sizeClass = ClassOf(size);
            uint page = _classHeads[sizeClass];
            if (page != NoPage)
            {
                blockSize = BlockSizeOf(sizeClass);
                return PopBlock(page, sizeClass);
            }
        }
        return AllocateSlow(size, out blockSize);
    }

    /// <summary>The rest of <see cref="Allocate(ulong, out ulong)"/>: a bad size, a fresh page, a borrow, a failure.</summary>
    private ulong AllocateSlow(ulong size, out ulong blockSize)
    {
        blockSize = 0;
        if (size == 0 || size > MaximumBlockSize)
        {
            _failedAllocations++;
            return 0;
        }
        int sizeClass = ClassOf(size);
        uint page = _classHeads[sizeClass];
        if (page == NoPage)
        {
            page = TakeFreshPage(sizeClass);
            if (page == NoPage)
            {
                for (int larger = sizeClass + 1; larger < ClassCount; larger++)
                {
                    if (_classHeads[larger] != NoPage)
                    {
                        page = _classHeads[larger];
                        sizeClass = larger;
                        _borrows++;
                        break;
                    }
                }
                if (page == NoPage)
                {
                    _failedAllocations++;
                    return 0;
                }
            }
        }
        blockSize = BlockSizeOf(sizeClass);
        return PopBlock(page, sizeClass);
    }

    /// <summary>The block size of the live block at <paramref name="address"/>, or 0 when none starts there.</summary>
    public ulong UsableSize(ulong address)
    {
        ulong blockSize;
        return Check(address, out blockSize) == FreeStatus.Freed ? blockSize : 0;
    }

    /// <summary>Says what <see cref="Free"/> would do with <paramref name="address"/>, changing nothing.</summary>
    public FreeStatus Check(ulong address, out ulong blockSize) => Check(address, out _, out _, out blockSize);

    /// <summary>
    /// As <see cref="Check(ulong, out ulong)"/>, also giving the block's page index and its offset in that
    /// page when it starts a live block (all 0 otherwise).
    /// </summary>
    private FreeStatus Check(ulong address, out uint page, out ushort offset, out ulong blockSize)
    {
        page = 0;
        offset = 0;
        blockSize = 0;
        if (!Contains(address))
        {
            return FreeStatus.OutsideHeap;
        }
        uint pageIndex = (uint)((address - _start) >> MemConstants.PageShift);
        ref BlockPage record = ref _pages[pageIndex];
        if (record.State == BlockPageState.Unused)
        {
            return FreeStatus.NeverAllocated;
        }
        // A returned page has no live block but keeps the class and the carving mark of its last carving, so its
        // addresses are judged as in that carving.
        uint pageOffset = (uint)(address & MemConstants.PageMask);
        ulong size = BlockSizeOf(record.Class);
        uint blockOffset = pageOffset & ~(uint)(size - 1);
        bool live = record.State == BlockPageState.Carved && IsAllocated(pageIndex, blockOffset);
        if (pageOffset != blockOffset)
        {
            return live ? FreeStatus.InsideAllocation : FreeStatus.Misaligned;
        }
        if (!live)
        {
            // Every block below the mark was handed out in that carving; above it none was, though an earlier
            // carving of the page, of another class, may have had a block there.
            return pageOffset < record.Carved ? FreeStatus.DoubleFree : FreeStatus.NotAllocated;
        }
        page = pageIndex;
        offset = (ushort)pageOffset;
        blockSize = size;
        return FreeStatus.Freed;
    }

    /// <summary>
    /// Frees the block at <paramref name="address"/>. Anything but the start of a live block is reported
    /// and changes nothing. Returns the page to the backing when this was its last live block. The checks and
    /// the free share one look at the page's record and bitmap word; the common case is inlined into the caller.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FreeStatus Free(ulong address)
    {
        ulong relative = address - _start;
        if (relative >= ((ulong)_pageCount << MemConstants.PageShift))
        {
            return FreeStatus.OutsideHeap;
        }
        uint page = (uint)(relative >> MemConstants.PageShift);
        ref BlockPage record = ref _pages[page];
        uint offset = (uint)(relative & MemConstants.PageMask);
        int sizeClass = record.Class;
        uint granule = offset >> GranuleShift;
        ulong* word = _allocated + page * BitmapWordsPerPage + (granule / BitsPerWord);
        ulong bit = 1UL << (int)(granule % BitsPerWord);
        if (record.State != BlockPageState.Carved || (offset & ((uint)BlockSizeOf(sizeClass) - 1)) != 0 || (*word & bit) == 0)
        {
            // Not the start of a live block: say which (Check knows the verdicts), change nothing.
            return Check(address, out _);
        }
        *word &= ~bit;
        if (ScrubOnFree)
        {
            HeapMemory.Fill((byte*)address, BlockSizeOf(sizeClass), HeapScrub.OnFree);
        }
        *(ushort*)address = record.FreeHead;
        record.FreeHead = (ushort)offset;
        record.FreeBlocks++;
        _classFreeBlocks[sizeClass]++;
        if (record.FreeBlocks == 1 || record.FreeBlocks == BlocksPerPage(sizeClass))
        {
            OnPageFreed(page, sizeClass);
        }
        return FreeStatus.Freed;
    }

    /// <summary>After a free left the page's first free block (it joins its class list) or no block in use (it goes back).</summary>
    private void OnPageFreed(uint page, int sizeClass)
    {
        ref BlockPage record = ref _pages[page];
        if (record.FreeBlocks == 1)
        {
            PushClass(page, sizeClass);
        }
        if (record.FreeBlocks == BlocksPerPage(sizeClass))
        {
            UnlinkClass(page, sizeClass);
            ReturnPage(page);
        }
    }

    /// <summary>
    /// Checks every invariant, changing nothing: the pages below the break are carved or returned and none above
    /// it is used; in a carved page the free list holds carved, aligned blocks whose allocation bits are clear,
    /// every other carved block has its bit set and no uncarved one does, the free count is the list plus the
    /// uncarved tail, and the page is not wholly free (it would have been returned); a page is on its class list
    /// exactly when it has a free block; the stack of returned pages holds exactly the returned pages; every
    /// counter agrees. O(pages below the break × blocks per page): for tests and debugging.
    /// </summary>
    public bool Verify()
    {
        uint* withFree = stackalloc uint[ClassCount];
        uint* pages = stackalloc uint[ClassCount];
        ulong* freeBlocks = stackalloc ulong[ClassCount];
        for (int i = 0; i < ClassCount; i++)
        {
            withFree[i] = 0;
            pages[i] = 0;
            freeBlocks[i] = 0;
        }
        ulong bytesInUse = 0;
        ulong bytesFree = 0;
        uint pagesInUse = 0;
        uint returned = 0;
        for (uint page = 0; page < _pageCount; page++)
        {
            ref BlockPage record = ref _pages[page];
            if (page >= _break || record.State == BlockPageState.Returned)
            {
                if (record.State != (page >= _break ? BlockPageState.Unused : BlockPageState.Returned))
                {
                    return false;
                }
                returned += page < _break ? 1u : 0u;
                continue;
            }
            int sizeClass = record.Class;
            if (record.State != BlockPageState.Carved || sizeClass >= ClassCount || !VerifyCarvedPage(page, sizeClass))
            {
                return false;
            }
            ulong size = BlockSizeOf(sizeClass);
            pagesInUse++;
            pages[sizeClass]++;
            freeBlocks[sizeClass] += record.FreeBlocks;
            withFree[sizeClass] += record.FreeBlocks != 0 ? 1u : 0u;
            bytesFree += record.FreeBlocks * size;
            bytesInUse += (BlocksPerPage(sizeClass) - record.FreeBlocks) * size;
        }
        for (int sizeClass = 0; sizeClass < ClassCount; sizeClass++)
        {
            uint listed = 0;
            uint previous = NoPage;
            for (uint page = _classHeads[sizeClass]; page != NoPage; page = _pages[page].Next)
            {
                ref BlockPage record = ref _pages[page];
                if (page >= _break || record.State != BlockPageState.Carved || record.Class != sizeClass
                    || record.FreeBlocks == 0 || record.Previous != previous || ++listed > withFree[sizeClass])
                {
                    return false;
                }
                previous = page;
            }
            if (listed != withFree[sizeClass] || pages[sizeClass] != _classPages[sizeClass] || freeBlocks[sizeClass] != _classFreeBlocks[sizeClass])
            {
                return false;
            }
        }
        uint stacked = 0;
        for (uint page = _returnedHead; page != NoPage; page = _pages[page].Next)
        {
            if (page >= _break || _pages[page].State != BlockPageState.Returned || ++stacked > returned)
            {
                return false;
            }
        }
        return stacked == returned && pagesInUse == _pagesInUse && bytesInUse == BytesInUse && bytesFree == BytesFree;
    }

    /// <summary>The in-page part of <see cref="Verify"/> for a carved page of <paramref name="sizeClass"/>.</summary>
    private bool VerifyCarvedPage(uint page, int sizeClass)
    {
        ref BlockPage record = ref _pages[page];
        uint size = (uint)BlockSizeOf(sizeClass);
        uint perPage = BlocksPerPage(sizeClass);
        if (record.Carved > MemConstants.PageSize || record.Carved % size != 0 || record.FreeBlocks >= perPage)
        {
            return false;
        }
        ulong pageAddress = _start + ((ulong)page << MemConstants.PageShift);
        uint listed = 0;
        for (ushort offset = record.FreeHead; offset != EndOfList; offset = *(ushort*)(pageAddress + offset))
        {
            if (offset >= record.Carved || offset % size != 0 || IsAllocated(page, offset) || ++listed > perPage)
            {
                return false;
            }
        }
        uint allocated = 0;
        for (uint offset = 0; offset < MemConstants.PageSize; offset += size)
        {
            if (IsAllocated(page, offset))
            {
                if (offset >= record.Carved)
                {
                    return false;
                }
                allocated++;
            }
        }
        uint carved = record.Carved / size;
        return allocated + listed == carved && record.FreeBlocks == listed + (perPage - carved);
    }

    private static uint BlocksPerPage(int sizeClass) => (uint)(MemConstants.PageSize >> (MinimumBlockShift + sizeClass));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong PopBlock(uint page, int sizeClass)
    {
        ref BlockPage record = ref _pages[page];
        ulong pageAddress = _start + ((ulong)page << MemConstants.PageShift);
        ushort offset = record.FreeHead;
        if (offset != EndOfList)
        {
            record.FreeHead = *(ushort*)(pageAddress + offset);
        }
        else
        {
            offset = record.Carved;
            record.Carved = (ushort)(offset + BlockSizeOf(sizeClass));
        }
        SetAllocated(page, offset);
        record.FreeBlocks--;
        _classFreeBlocks[sizeClass]--;
        if (record.FreeBlocks == 0)
        {
            UnlinkClass(page, sizeClass);
        }
        return pageAddress + offset;
    }

    private uint TakeFreshPage(int sizeClass)
    {
        uint page;
        bool returned = _returnedHead != NoPage;
        if (returned)
        {
            page = _returnedHead;
        }
        else if (_break < _pageCount)
        {
            page = _break;
        }
        else
        {
            return NoPage;
        }
        if (!_backing.Commit(_start + ((ulong)page << MemConstants.PageShift), 1))
        {
            return NoPage;
        }
        ref BlockPage record = ref _pages[page];
        if (returned)
        {
            _returnedHead = record.Next;
        }
        else
        {
            _break++;
        }
        record.State = BlockPageState.Carved;
        record.Class = (byte)sizeClass;
        record.FreeHead = EndOfList;
        record.Carved = 0;
        record.FreeBlocks = (ushort)BlocksPerPage(sizeClass);
        _classPages[sizeClass]++;
        _classFreeBlocks[sizeClass] += BlocksPerPage(sizeClass);
        _pagesInUse++;
        PushClass(page, sizeClass);
        return page;
    }

    private void ReturnPage(uint page)
    {
        // Every block is free, so every allocation bit of the page is already clear.
        _backing.Decommit(_start + ((ulong)page << MemConstants.PageShift), 1);
        ref BlockPage record = ref _pages[page];
        record.State = BlockPageState.Returned;
        _classPages[record.Class]--;
        _classFreeBlocks[record.Class] -= BlocksPerPage(record.Class);
        record.Next = _returnedHead;
        _returnedHead = page;
        _pagesInUse--;
    }

    private void PushClass(uint page, int sizeClass)
    {
        ref BlockPage record = ref _pages[page];
        uint head = _classHeads[sizeClass];
        record.Previous = NoPage;
        record.Next = head;
        if (head != NoPage)
        {
            _pages[head].Previous = page;
        }
        _classHeads[sizeClass] = page;
    }

    private void UnlinkClass(uint page, int sizeClass)
    {
        ref BlockPage record = ref _pages[page];
        if (record.Previous != NoPage)
        {
            _pages[record.Previous].Next = record.Next;
        }
        else
        {
            _classHeads[sizeClass] = record.Next;
        }
        if (record.Next != NoPage)
        {
            _pages[record.Next].Previous = record.Previous;
        }
        record.Next = NoPage;
        record.Previous = NoPage;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAllocated(uint page, uint offset)
    {
        uint granule = offset >> GranuleShift;
        return (_allocated[page * BitmapWordsPerPage + (granule / BitsPerWord)] & (1UL << (int)(granule % BitsPerWord))) != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetAllocated(uint page, uint offset)
    {
        uint granule = offset >> GranuleShift;
        _allocated[page * BitmapWordsPerPage + (granule / BitsPerWord)] |= 1UL << (int)(granule % BitsPerWord);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ClearAllocated(uint page, uint offset)
    {
        uint granule = offset >> GranuleShift;
        _allocated[page * BitmapWordsPerPage + (granule / BitsPerWord)] &= ~(1UL << (int)(granule % BitsPerWord));
    }
}
