using System.Runtime.CompilerServices;
using Kernel.Mem.Paging;
using Kernel.Mem.Replacement;

namespace Kernel.Mem.User;

/// <summary>
/// The address space of one process: a PML4 whose upper half is the kernel's (shared, copied once as root
/// entries, never per page) and whose lower half holds the program image, the stack and the heap, every page
/// user-accessible and W^X. It counts exactly what it holds: <see cref="ResidentPages"/> (frames mapped at
/// user addresses) and <see cref="TableFrames"/> (the PML4 and every page table below it), and
/// <see cref="Destroy"/> gives all of them back. Not thread-safe: the process it belongs to, or the kernel
/// on its behalf when it is gone, is the only user.
/// </summary>
/// <remarks>
/// The mapper takes its page tables from this object, which passes the requests on to the real frame source
/// and counts them: that is how the table frames of one process are known exactly.
/// </remarks>
public sealed unsafe class UserAddressSpace<TMem, TTlb> : IFrameSource
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
{
    /// <summary>The most bytes of arguments (strings, pointers, argc) placed on a new stack.</summary>
    public const ulong MaxArgumentBytes = 16 * MemConstants.KiB;

    private const ulong PointerSize = 8;

    // What the stack holds above argv at entry (System V AMD64 ABI, 3.4.1): the environment's terminating
    // null pointer and an auxiliary vector holding only AT_NULL (two words).
    private const ulong EntryTrailerWords = 3;

    private readonly TMem _memory;
    private readonly IFrameSource _frames;
    private Mapper<TMem, TTlb> _mapper;
    private ulong _tableFrames;
    private ulong _residentPages;
    private ulong _heapReservedPages;
    private ulong _heapResidentPages;
    private WorkingSet _workingSet;
    private ulong _pageIns;
    private ulong _pageOuts;
    private ulong _writesAvoided;
    private ulong _swappedPages;
    private ulong _slotsHeld;
    private ulong _pinnedPages;

    private UserAddressSpace(TMem memory, IFrameSource frames)
    {
        _memory = memory;
        _frames = frames;
    }

    /// <summary>The mapper of this address space (null once destroyed).</summary>
    public Mapper<TMem, TTlb> Mapper => _mapper;

    /// <summary>The PML4's physical address: what CR3 holds while the process runs (0 once destroyed).</summary>
    public ulong RootTable => _mapper == null ? 0 : _mapper.RootTable;

    /// <summary>Frames mapped at user addresses (image, stack, heap pages).</summary>
    public ulong ResidentPages => _residentPages;

    /// <summary>Frames holding this address space's own page tables, the PML4 included.</summary>
    public ulong TableFrames => _tableFrames;

    /// <summary>Pages of the user heap reserved through <see cref="ReserveHeap"/> and not released, backed or not.</summary>
    public ulong HeapReservedPages => _heapReservedPages;

    /// <summary>Pages of the user heap that have been touched and so hold a frame (a part of <see cref="ResidentPages"/>).</summary>
    public ulong HeapResidentPages => _heapResidentPages;

    /// <summary>The resident pages that may be replaced; null when the process has no working set (no page file).</summary>
    public WorkingSet WorkingSet => _workingSet;

    /// <summary>Faults served by reading the page back from the page file.</summary>
    public ulong PageIns => _pageIns;

    /// <summary>Evictions that wrote the page to the page file.</summary>
    public ulong PageOuts => _pageOuts;

    /// <summary>Evictions of clean pages whose copy in the page file was still good: no write.</summary>
    public ulong WritesAvoided => _writesAvoided;

    /// <summary>Pages that are in the page file and not resident.</summary>
    public ulong SwappedPages => _swappedPages;

    /// <summary>Page-file slots this address space holds (swapped pages, and resident pages with a clean copy).</summary>
    public ulong SlotsHeld => _slotsHeld;

    /// <summary>Resident pages taken out of the working set for good (mlockall).</summary>
    public ulong PinnedPages => _pinnedPages;

    /// <summary>
    /// Gives the address space a working set: from now on every page backed on a fault joins it, and when it is
    /// full (or no frame is left) a victim is evicted to the page store to make room. Call before the process
    /// runs; the set is released with the address space.
    /// </summary>
    public void UseWorkingSet(WorkingSet set) => _workingSet = set;

    /// <summary>
    /// Makes an empty address space whose upper half is shared with the one at <paramref name="kernelRoot"/>.
    /// <paramref name="supportedFeatures"/> are the CPU-dependent page flags the machine has (see the
    /// mapper): without NX, the data pages this space asks to be no-execute are mapped executable, since bit
    /// 63 is reserved then. Returns <see cref="PagingStatus.OutOfFrames"/>, with <paramref name="space"/> null
    /// and nothing held, when no frame is left for the PML4.
    /// </summary>
    public static PagingStatus Create(TMem memory, TTlb tlb, IFrameSource frames, ulong kernelRoot, PageFlags supportedFeatures, out UserAddressSpace<TMem, TTlb> space)
    {
        // The PML4 comes before any object: the kernel has no collector, so an object made for a space that
        // then gets no frame would be lost, and a program holding every frame could repeat that until the
        // kernel's own heap needed a frame.
        space = null;
        PagingStatus status = Mapper<TMem, TTlb>.CreateRootTable(memory, frames, out ulong root);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        space = new UserAddressSpace<TMem, TTlb>(memory, frames) { _tableFrames = 1 };
        space._mapper = new Mapper<TMem, TTlb>(memory, tlb, space, root, supportedFeatures);
        status = space._mapper.CopyUpperHalfFrom(kernelRoot);
        if (status != PagingStatus.Success)
        {
            space.Destroy();
            space = null;
        }
        return status;
    }

    /// <summary>
    /// Maps every PT_LOAD segment of <paramref name="image"/> into fresh zeroed frames holding the segment's
    /// file bytes: text r-x, read-only data r--, data and .bss rw- and no-execute, all user-accessible. On
    /// failure (out of frames) what was mapped stays mapped and counted; the caller destroys the space.
    /// </summary>
    public PagingStatus LoadImage(in ElfImage image)
    {
        for (int s = 0; s < image.LoadSegmentCount; s++)
        {
            ElfSegment segment = image.GetLoadSegment(s);
            PageFlags flags = PageFlags.User;
            if (segment.Writable)
            {
                flags |= PageFlags.Writable;
            }
            if (!segment.Executable)
            {
                flags |= PageFlags.NoExecute;
            }
            ulong fileStart = segment.VirtualAddress;
            ulong fileEnd = segment.VirtualAddress + segment.FileSize;
            for (ulong page = segment.FirstPage; page < segment.EndPage; page += MemConstants.PageSize)
            {
                if (!TryTakeZeroedFrame(out ulong frame))
                {
                    return PagingStatus.OutOfFrames;
                }
                // The part of this page that the file supplies; the rest stays zero (.bss, padding).
                ulong copyStart = page > fileStart ? page : fileStart;
                ulong copyEnd = page + MemConstants.PageSize < fileEnd ? page + MemConstants.PageSize : fileEnd;
                if (copyStart < copyEnd)
                {
                    byte* source = image.Data + segment.FileOffset + (copyStart - segment.VirtualAddress);
                    Copy(_memory.Access(frame) + (copyStart - page), source, copyEnd - copyStart);
                }
                PagingStatus status = MapFrame(page, frame, flags);
                if (status != PagingStatus.Success)
                {
                    return status;
                }
            }
        }
        return PagingStatus.Success;
    }

    /// <summary>Maps <paramref name="count"/> zeroed pages from <paramref name="address"/>, user-accessible, writable and no-execute.</summary>
    public PagingStatus MapZeroed(ulong address, ulong count)
    {
        for (ulong i = 0; i < count; i++)
        {
            if (!TryTakeZeroedFrame(out ulong frame))
            {
                return PagingStatus.OutOfFrames;
            }
            PagingStatus status = MapFrame(address + i * MemConstants.PageSize, frame, PageFlags.User | PageFlags.Writable | PageFlags.NoExecute);
            if (status != PagingStatus.Success)
            {
                return status;
            }
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Reserves the stack (<see cref="UserLayout.StackSize"/> below <see cref="UserLayout.StackTop"/>, backed
    /// rw- NX on first touch) and the guard page under it, backs the top pages, then writes the arguments the
    /// way a Linux x86-64 process finds them
    /// at entry: <paramref name="stackPointer"/> (16-byte aligned) points at argc, then argv[0..argc-1], a
    /// null pointer, an empty environment (null) and an auxiliary vector of AT_NULL; the strings, each
    /// NUL-terminated, lie above. Argument <c>i</c> is the <paramref name="lengths"/>[i] bytes at
    /// <paramref name="arguments"/>[i]. Too many argument bytes is <see cref="PagingStatus.InvalidRange"/>.
    /// </summary>
    public PagingStatus SetUpStack(byte** arguments, ulong* lengths, int count, out ulong stackPointer)
    {
        stackPointer = 0;
        if (count < 0)
        {
            return PagingStatus.InvalidRange;
        }
        ulong stringBytes = 0;
        for (int i = 0; i < count; i++)
        {
            if (lengths[i] > MaxArgumentBytes)
            {
                return PagingStatus.InvalidRange;
            }
            stringBytes += lengths[i] + 1;
        }
        ulong pointerBytes = ((ulong)count + 1 + EntryTrailerWords + 1) * PointerSize;
        if (stringBytes + pointerBytes + 16 > MaxArgumentBytes)
        {
            return PagingStatus.InvalidRange;
        }

        PagingStatus status = _mapper.Reserve(UserLayout.StackGuard, PageFlags.Guard);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        // The stack is reserved like heap pages: backed on first touch and, with a working set, replaceable.
        // Only the pages the arguments go to are backed now.
        status = _mapper.ReserveRange(UserLayout.StackBottom, UserLayout.StackSize / MemConstants.PageSize, PageFlags.UserHeapReserved);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        ulong lowest = MemConstants.AlignDown(UserLayout.StackTop - stringBytes - pointerBytes - 16, MemConstants.PageSize);
        for (ulong page = lowest; page < UserLayout.StackTop; page += MemConstants.PageSize)
        {
            if (BackReservedPage(page) != UserMemoryStatus.Ok)
            {
                return PagingStatus.OutOfFrames;
            }
        }

        ulong stringsStart = UserLayout.StackTop - stringBytes;
        ulong pointers = MemConstants.AlignDown(stringsStart - pointerBytes, 16);
        ulong cursor = stringsStart;
        ulong slot = pointers;
        WriteWord(slot, (ulong)count);
        for (int i = 0; i < count; i++)
        {
            slot += PointerSize;
            WriteWord(slot, cursor);
            WriteBytes(cursor, arguments[i], lengths[i]);
            byte terminator = 0;
            WriteBytes(cursor + lengths[i], &terminator, 1);
            cursor += lengths[i] + 1;
        }
        // argv's null, envp's null and AT_NULL's two words are already zero: the frames were zeroed.
        stackPointer = pointers;
        return PagingStatus.Success;
    }

    /// <summary>
    /// FOS's allocate_user_mem: reserves the <paramref name="size"/> bytes of user heap at
    /// <paramref name="address"/> (both page-aligned, not empty, inside the heap, none of the pages reserved or
    /// mapped yet). Each page's entry gets the user-heap mark (UHPAGE) and the page tables they need are made,
    /// but no frame is taken for the pages: a first touch backs them (<see cref="BackReservedPage"/>). All or
    /// nothing.
    /// </summary>
    public UserMemoryStatus ReserveHeap(ulong address, ulong size)
    {
        UserMemoryStatus status = CheckHeapRange(address, size);
        if (status != UserMemoryStatus.Ok)
        {
            return status;
        }
        ulong pages = size / MemConstants.PageSize;
        switch (_mapper.ReserveRange(address, pages, PageFlags.UserHeapReserved))
        {
            case PagingStatus.Success:
                _heapReservedPages += pages;
                return UserMemoryStatus.Ok;
            case PagingStatus.AlreadyReserved:
            case PagingStatus.AlreadyMapped:
            case PagingStatus.PageSizeConflict:
                return UserMemoryStatus.AlreadyReserved;
            default:
                return UserMemoryStatus.OutOfMemory;
        }
    }

    /// <summary>FOS's free_user_mem on a machine without a page file; see <see cref="FreeHeap{TStore}"/>.</summary>
    public UserMemoryStatus FreeHeap(ulong address, ulong size, out ulong framesFreed)
    {
        NoPageStore none = default;
        return FreeHeap(address, size, ref none, out framesFreed);
    }

    /// <summary>
    /// FOS's free_user_mem: releases the user-heap pages of [<paramref name="address"/>, + <paramref name="size"/>)
    /// (checked as by <see cref="ReserveHeap"/>): a page that was touched gives its frame back, a page in the page
    /// file its slot, every reserved page loses its mark and leaves the working set, page tables left empty are
    /// released, and pages of the range that were never reserved are left alone. <paramref name="framesFreed"/>
    /// counts the frames given back.
    /// </summary>
    public UserMemoryStatus FreeHeap<TStore>(ulong address, ulong size, ref TStore store, out ulong framesFreed)
        where TStore : struct, IPageStore
    {
        framesFreed = 0;
        UserMemoryStatus status = CheckHeapRange(address, size);
        if (status != UserMemoryStatus.Ok)
        {
            return status;
        }
        ulong end = address + size;
        ForgetWorkingSetRange(address, end, ref store);
        // One walk over the entries that exist, skipping the tables that do not: the heap is 512 MiB, and a free
        // of all of it runs without preemption. Each step descends from the root afresh, so clearing the entry
        // just visited (and releasing a table that leaves empty) does not disturb the walk.
        ulong cursor = address;
        while (_mapper.NextEntry(ref cursor, end, out ulong page, out PageTableEntry entry))
        {
            // A swapped entry keeps the mark; a guard page or a page mapped without it is not the heap's.
            if (!entry.IsUserHeapReserved)
            {
                continue;
            }
            if (entry.IsPresent)
            {
                if ((entry.Marks & PageFlags.Pinned) != 0)
                {
                    _pinnedPages--;
                }
                _mapper.Unmap(page, PageSize.Size4KiB, out ulong frame);
                _frames.FreeFrame(frame);
                _residentPages--;
                _heapResidentPages--;
                framesFreed++;
            }
            else if (entry.IsSwapped)
            {
                store.FreeSlot(entry.SwapSlot);
                _slotsHeld--;
                _swappedPages--;
            }
            _mapper.Unreserve(page);
            _heapReservedPages--;
        }
        return UserMemoryStatus.Ok;
    }

    /// <summary>Takes the pages of [<paramref name="start"/>, <paramref name="end"/>) out of the working set, giving back their copies' slots.</summary>
    private void ForgetWorkingSetRange<TStore>(ulong start, ulong end, ref TStore store)
        where TStore : struct, IPageStore
    {
        if (_workingSet == null)
        {
            return;
        }
        int cursor = 0;
        while (_workingSet.TryRemoveNextInRange(start, end, ref cursor, out _, out ulong slot))
        {
            if (slot != WorkingSet.NoSlot)
            {
                store.FreeSlot(slot);
                _slotsHeld--;
            }
        }
    }

    /// <summary>
    /// Reserves the runtime's region (<see cref="UserLayout.RuntimeRegionBase"/>) the way heap pages are
    /// reserved: a program's early objects and its heap's metadata live there, backed page by page on first
    /// touch. Done once, at spawn.
    /// </summary>
    public UserMemoryStatus ReserveRuntimeRegion()
    {
        PagingStatus status = _mapper.ReserveRange(UserLayout.RuntimeRegionBase, UserLayout.RuntimeRegionSize / MemConstants.PageSize, PageFlags.UserHeapReserved);
        return status == PagingStatus.Success ? UserMemoryStatus.Ok : UserMemoryStatus.OutOfMemory;
    }

    /// <summary>
    /// The lazy half of the user heap, without a page file: see <see cref="BackPage{TStore}"/>.
    /// </summary>
    public UserMemoryStatus BackReservedPage(ulong address)
    {
        NoPageStore none = default;
        return BackPage(address, ref none);
    }

    /// <summary>
    /// Serves a fault on the reserved (UHPAGE) page holding <paramref name="address"/>: a page never touched gets
    /// a zeroed frame (FOS's placement), a page in the page file is read back from its slot (which it keeps as a
    /// clean copy); either way it is mapped user-accessible, writable and no-execute, keeping its mark, and joins
    /// the working set. The frame is a free one, or, when the working set is full or no frame is left, the frame
    /// of a victim the policy chose, evicted first: written to the page file when it is dirty or has no copy
    /// there, else simply dropped. <see cref="UserMemoryStatus.NotReserved"/> for any other page;
    /// <see cref="UserMemoryStatus.OutOfMemory"/>, <see cref="UserMemoryStatus.PageFileFull"/> or
    /// <see cref="UserMemoryStatus.PageFileError"/> when the page cannot be had (the caller ends the process; what
    /// the address space holds stays consistent and is freed by <see cref="Destroy{TStore}"/>).
    /// </summary>
    public UserMemoryStatus BackPage<TStore>(ulong address, ref TStore store)
        where TStore : struct, IPageStore
    {
        ulong page = MemConstants.AlignDown(address, MemConstants.PageSize);
        if (page >= UserLayout.End || !_mapper.TryGetReservation(page, out PageFlags marks) || (marks & PageFlags.UserHeapReserved) == 0)
        {
            return UserMemoryStatus.NotReserved;
        }
        bool swapped = _mapper.TryGetSwapSlot(page, out ulong slot);
        UserMemoryStatus status = TakeFrame(ref store, out ulong frame, out int entry);
        if (status != UserMemoryStatus.Ok)
        {
            return status;
        }
        if (swapped)
        {
            if (store.Read(slot, frame) != PageStoreStatus.Ok)
            {
                ReleaseTakenFrame(frame, entry);
                return UserMemoryStatus.PageFileError;
            }
            _pageIns++;
            _swappedPages--;
        }
        else
        {
            Unsafe.InitBlock(_memory.Access(frame), 0, (uint)MemConstants.PageSize);
        }
        if (MapFrame(page, frame, PageFlags.User | PageFlags.Writable | PageFlags.NoExecute) != PagingStatus.Success)
        {
            // Only a missing page table could fail, and a reserved page has its tables already.
            if (entry >= 0)
            {
                _workingSet.RemoveAt(entry);
            }
            return UserMemoryStatus.OutOfMemory;
        }
        if (UserLayout.IsHeapRange(page, MemConstants.PageSize))
        {
            _heapResidentPages++;
        }
        if (_workingSet != null)
        {
            ulong kept = swapped ? slot : WorkingSet.NoSlot;
            if (entry >= 0)
            {
                _workingSet.Replace(entry, page, kept);
            }
            else
            {
                _workingSet.Add(page, kept);
            }
        }
        else if (swapped)
        {
            // Without a working set nothing is evicted again: the copy is of no further use.
            store.FreeSlot(slot);
            _slotsHeld--;
        }
        return UserMemoryStatus.Ok;
    }

    /// <summary>
    /// One aging step of the working set (LRU approximation): every counter shifts right and takes the page's
    /// accessed bit, which is cleared. The kernel calls it at each tick the process runs.
    /// </summary>
    public void AgeWorkingSet()
    {
        if (_workingSet != null && _workingSet.Policy == ReplacementPolicy.LruAging)
        {
            var bits = new MapperReferenceBits<TMem, TTlb>(_mapper);
            _workingSet.Age(ref bits);
        }
    }

    /// <summary>
    /// mlockall(MCL_CURRENT): every page backed now is locked in memory. Resident pages of the working set are
    /// pinned (marked, and taken out of the set for good, so they are never evicted) and pages in the page file
    /// are read back into free frames first, as mlockall faults in what it locks; their slots are given back.
    /// Reserved pages never touched stay lazy (locking them would commit the whole runtime region). Without a
    /// working set nothing is ever evicted, so there is nothing to do. <see cref="UserMemoryStatus.OutOfMemory"/>
    /// or <see cref="UserMemoryStatus.PageFileError"/> when a swapped page cannot be read back: the pages done so
    /// far stay locked, the rest stay in the page file, and everything stays consistent.
    /// </summary>
    public UserMemoryStatus PinResidentPages<TStore>(ref TStore store)
        where TStore : struct, IPageStore
    {
        if (_workingSet == null)
        {
            return UserMemoryStatus.Ok;
        }
        int cursor = 0;
        while (_workingSet.TryRemoveNextInRange(0, UserLayout.End, ref cursor, out ulong page, out ulong slot))
        {
            Pin(page, slot, ref store);
        }
        if (_swappedPages == 0)
        {
            return UserMemoryStatus.Ok;
        }
        ulong walk = 0;
        while (_mapper.NextEntry(ref walk, UserLayout.End, out ulong page, out PageTableEntry entry))
        {
            if (!entry.IsSwapped)
            {
                continue;
            }
            ulong slot = entry.SwapSlot;
            if (!_frames.TryAllocateFrame(out ulong frame))
            {
                return UserMemoryStatus.OutOfMemory;
            }
            if (store.Read(slot, frame) != PageStoreStatus.Ok)
            {
                _frames.FreeFrame(frame);
                return UserMemoryStatus.PageFileError;
            }
            if (MapFrame(page, frame, PageFlags.User | PageFlags.Writable | PageFlags.NoExecute) != PagingStatus.Success)
            {
                return UserMemoryStatus.OutOfMemory;
            }
            _pageIns++;
            _swappedPages--;
            if (UserLayout.IsHeapRange(page, MemConstants.PageSize))
            {
                _heapResidentPages++;
            }
            Pin(page, slot, ref store);
        }
        return UserMemoryStatus.Ok;
    }

    private void Pin<TStore>(ulong page, ulong slot, ref TStore store)
        where TStore : struct, IPageStore
    {
        _mapper.SetPinned(page, true);
        _pinnedPages++;
        if (slot != WorkingSet.NoSlot)
        {
            store.FreeSlot(slot);
            _slotsHeld--;
        }
    }

    /// <summary>
    /// A frame for a page about to be backed: a free one while the working set has room, else the frame of an
    /// evicted victim, whose entry <paramref name="entry"/> the new page is to take (-1 for a free frame).
    /// </summary>
    private UserMemoryStatus TakeFrame<TStore>(ref TStore store, out ulong frame, out int entry)
        where TStore : struct, IPageStore
    {
        entry = -1;
        bool replaces = _workingSet != null && store.IsPresent;
        if (replaces && !_workingSet.MakeRoom())
        {
            return Evict(ref store, out frame, out entry);
        }
        if (_frames.TryAllocateFrame(out frame))
        {
            return UserMemoryStatus.Ok;
        }
        if (replaces && _workingSet.Count > 0)
        {
            return Evict(ref store, out frame, out entry);
        }
        return UserMemoryStatus.OutOfMemory;
    }

    private void ReleaseTakenFrame(ulong frame, int entry)
    {
        _frames.FreeFrame(frame);
        if (entry >= 0)
        {
            _workingSet.RemoveAt(entry);
        }
    }

    /// <summary>
    /// Evicts the page the policy chooses and hands its frame over. The page is written to the page file while it
    /// is still mapped (its process is the one faulting, so nothing changes it meanwhile), when it is dirty or
    /// has no copy there yet; then it is unmapped and its entry records the slot. Nothing changes on failure.
    /// </summary>
    private UserMemoryStatus Evict<TStore>(ref TStore store, out ulong frame, out int entry)
        where TStore : struct, IPageStore
    {
        frame = 0;
        var bits = new MapperReferenceBits<TMem, TTlb>(_mapper);
        entry = _workingSet.ChooseVictim(ref bits);
        ulong victim = _workingSet.PageAt(entry);
        ulong slot = _workingSet.SlotAt(entry);
        bool dirty = (_mapper.ReferenceBits(victim) & PageFlags.Dirty) != 0;
        if (dirty || slot == WorkingSet.NoSlot)
        {
            bool newSlot = slot == WorkingSet.NoSlot;
            bool lent = false;
            if (newSlot && !store.TryAllocateSlot(out slot))
            {
                // A full page file may still hold copies of pages that are resident again: one of those slots
                // takes the victim, which has no copy anywhere (the resident page is written again when it goes).
                if (!_workingSet.TryTakeSlot(out slot))
                {
                    entry = -1;
                    return UserMemoryStatus.PageFileFull;
                }
                lent = true;
            }
            _mapper.Translate(victim, out Translation translation);
            if (store.Write(slot, translation.PhysicalAddress) != PageStoreStatus.Ok)
            {
                if (newSlot)
                {
                    store.FreeSlot(slot);
                    if (lent)
                    {
                        _slotsHeld--;
                    }
                }
                entry = -1;
                return UserMemoryStatus.PageFileError;
            }
            if (newSlot && !lent)
            {
                _slotsHeld++;
            }
            _pageOuts++;
        }
        else
        {
            _writesAvoided++;
        }
        _mapper.Unmap(victim, PageSize.Size4KiB, out frame);
        _mapper.MarkSwapped(victim, slot);
        _residentPages--;
        _swappedPages++;
        if (UserLayout.IsHeapRange(victim, MemConstants.PageSize))
        {
            _heapResidentPages--;
        }
        return UserMemoryStatus.Ok;
    }

    private static UserMemoryStatus CheckHeapRange(ulong address, ulong size)
    {
        if (size == 0)
        {
            return UserMemoryStatus.Empty;
        }
        if (!MemConstants.IsAligned(address, MemConstants.PageSize) || !MemConstants.IsAligned(size, MemConstants.PageSize))
        {
            return UserMemoryStatus.Misaligned;
        }
        return UserLayout.IsHeapRange(address, size) ? UserMemoryStatus.Ok : UserMemoryStatus.OutsideHeap;
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes from <paramref name="source"/> to the mapped user pages at
    /// <paramref name="address"/>, through the frames (this address space need not be the running one).
    /// Returns false, having copied a prefix, when a page on the way is not mapped.
    /// </summary>
    public bool WriteBytes(ulong address, byte* source, ulong length)
    {
        while (length > 0)
        {
            if (_mapper.Translate(address, out Translation translation) != PagingStatus.Success)
            {
                return false;
            }
            ulong inPage = MemConstants.PageSize - (address & MemConstants.PageMask);
            ulong chunk = length < inPage ? length : inPage;
            Copy(_memory.Access(translation.PhysicalAddress), source, chunk);
            address += chunk;
            source += chunk;
            length -= chunk;
        }
        return true;
    }

    /// <summary>Gives back every frame, on a machine without a page file; see <see cref="Destroy{TStore}"/>.</summary>
    public void Destroy()
    {
        NoPageStore none = default;
        Destroy(ref none);
    }

    /// <summary>
    /// Gives back everything: the page-file slots of swapped pages and of resident copies, the user pages to the
    /// frame source, then the page tables and the PML4. The caller makes sure the CPU does not run on this
    /// address space, and frees the working set's objects. Idempotent.
    /// </summary>
    public void Destroy<TStore>(ref TStore store)
        where TStore : struct, IPageStore
    {
        if (_mapper == null)
        {
            return;
        }
        ForgetWorkingSetRange(0, UserLayout.End, ref store);
        if (_swappedPages != 0)
        {
            ulong cursor = UserLayout.LowestAddress;
            while (_mapper.NextEntry(ref cursor, UserLayout.End, out _, out PageTableEntry entry))
            {
                if (entry.IsSwapped)
                {
                    store.FreeSlot(entry.SwapSlot);
                    _slotsHeld--;
                    _swappedPages--;
                }
            }
        }
        _mapper.ReleaseLowerHalf(_frames, out ulong leaves, out _, out _);
        _residentPages -= leaves;
        _heapReservedPages = 0;
        _heapResidentPages = 0;
        _pinnedPages = 0;
        ReleaseTableFrame(_mapper.RootTable);
        _mapper = null;
    }

    // IFrameSource, for the mapper's page tables: passed on to the real source and counted, under its lock.
    MemoryLock IFrameSource.Lock => _frames.Lock;

    bool IFrameSource.TryAllocateFrame(out ulong physical)
    {
        if (!_frames.TryAllocateFrame(out physical))
        {
            return false;
        }
        _tableFrames++;
        return true;
    }

    void IFrameSource.FreeFrame(ulong physical) => ReleaseTableFrame(physical);

    bool IFrameSource.TryAllocateFrames(ulong* frames, ulong count, ulong firstTag)
    {
        if (!_frames.TryAllocateFrames(frames, count, firstTag))
        {
            return false;
        }
        _tableFrames += count;
        return true;
    }

    void IFrameSource.FreeFrames(ulong* frames, ulong count)
    {
        for (ulong i = 0; i < count; i++)
        {
            if (frames[i] != 0)
            {
                ReleaseTableFrame(frames[i]);
            }
        }
    }

    bool IFrameSource.TrySetFrameTag(ulong physical, ulong tag) => _frames.TrySetFrameTag(physical, tag);

    bool IFrameSource.TryGetFrameTag(ulong physical, out ulong tag) => _frames.TryGetFrameTag(physical, out tag);

    private void ReleaseTableFrame(ulong physical)
    {
        _tableFrames--;
        _frames.FreeFrame(physical);
    }

    private bool TryTakeZeroedFrame(out ulong frame)
    {
        if (!_frames.TryAllocateFrame(out frame))
        {
            return false;
        }
        Unsafe.InitBlock(_memory.Access(frame), 0, (uint)MemConstants.PageSize);
        return true;
    }

    /// <summary>Maps a frame just taken; on failure the frame goes back, so nothing leaks.</summary>
    private PagingStatus MapFrame(ulong page, ulong frame, PageFlags flags)
    {
        PagingStatus status = _mapper.Map(page, frame, flags, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            _frames.FreeFrame(frame);
            return status;
        }
        _residentPages++;
        return PagingStatus.Success;
    }

    private void WriteWord(ulong address, ulong value) => WriteBytes(address, (byte*)&value, PointerSize);

    // Callers copy at most one page at a time, so the length fits the block copy's 32 bits.
    private static void Copy(byte* destination, byte* source, ulong length) => Unsafe.CopyBlock(destination, source, (uint)length);
}
