using System.Runtime.CompilerServices;

namespace Kernel.Mem.Paging;

/// <summary>
/// Maps, unmaps, protects, reserves and translates pages in one x86-64 4-level address space, given the
/// physical address of its PML4 (the value CR3 holds). The tables are reached through <typeparamref name="TMem"/>,
/// stale translations are reported to <typeparamref name="TTlb"/>, and page tables come from and go back to
/// an <see cref="IFrameSource"/>. Every operation holds the frame source's <see cref="MemoryLock"/>, which is
/// also what every other mapper over that source holds: the kernel half's tables are shared by all of them.
/// </summary>
/// <remarks>
/// <para>
/// A walk starts at the PML4 and uses nine bits of the virtual address per level (see
/// <see cref="VirtualAddressLayout"/>): bits 47..39 pick the PML4E, 38..30 the PDPTE, 29..21 the PDE and
/// 20..12 the PTE. It ends at a non-present entry, at a PDPTE or PDE with PS set (a 1 GiB or 2 MiB page),
/// or at the PTE (a 4 KiB page).
/// </para>
/// <para>Invariants the operations keep:</para>
/// <list type="bullet">
/// <item>Every table below the root holds at least one non-zero entry (a mapping, a reservation or a
/// table), except the upper-half PDPTs, which are never released because every address space shares them
/// through <see cref="CopyUpperHalfFrom"/>. A table is released as soon as an unmap or unreserve leaves it
/// all zero.</item>
/// <item>The entry that references a table counts the table's non-zero entries in bits the CPU ignores there
/// (<see cref="PageTableEntry.EntryCountMask"/>), so emptiness is known in O(1). The count lives in the
/// parent entry rather than in the frame's mem_map entry or a side array because every operation has just
/// walked through that entry (no lookup, no frame-source call) and it goes away with the table; the only
/// entries without a count are the upper-half root entries, which are copied into every address space and
/// whose PDPTs are never released.</item>
/// <item>An entry that references a table is present, writable and never no-execute, so the leaf alone
/// decides write and execute rights (the CPU ANDs R/W and U/S and ORs XD over all levels, Intel SDM Vol. 3A,
/// 4.6). It carries U/S once a user page or user-heap reservation has lived below it; the bit is not taken
/// away again, since the leaf still denies access.</item>
/// <item>User pages and user-heap reservations exist only in the lower half.</item>
/// <item>A failed operation changes nothing: tables are created only after every frame they need is in
/// hand, and the new chain is published by a single store into an existing table. A run of pages (the
/// range operations) is done one page table at a time with one walk each, and a failure part way undoes
/// the tables already done.</item>
/// </list>
/// <para>
/// TLB: the CPU caches only present entries (4.10.2), so turning a non-present entry into a mapping needs
/// no invalidation. Everything else that can leave a stale translation reports <see cref="ITlb.Invalidate"/>
/// with the page's address: unmapping, a changed leaf in <see cref="Protect"/>, granting U/S to an existing
/// intermediate entry, and releasing a table (INVLPG also flushes the paging-structure caches, 4.10.4.1,
/// which could otherwise still point into the freed frame). Released frames go back to the frame source
/// only after the invalidation has been reported.
/// </para>
/// </remarks>
public sealed unsafe class Mapper<TMem, TTlb>
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
{
    private const int RootLevel = (int)PageTableLevel.Pml4;
    private const int LeafTableLevel = (int)PageTableLevel.PageTable;

    // A 4 KiB mapping below an empty PML4E needs a PDPT, a PD and a PT.
    private const int MaxNewTables = RootLevel - 1;
    private const int UpperHalfPml4Entries = VirtualAddressLayout.EntriesPerTable - VirtualAddressLayout.FirstUpperHalfPml4Index;

    private TMem _memory;
    private TTlb _tlb;
    private readonly IFrameSource _frames;
    private readonly MemoryLock _lock;
    private readonly ulong _root;

    // The bits a leaf may carry on this CPU: LeafFlagsMask less the feature flags the CPU lacks.
    private readonly ulong _leafMask;

    /// <summary>
    /// Manages the address space whose PML4 is at <paramref name="rootTable"/> on a CPU with every feature
    /// of <see cref="PageTableEntry.FeatureFlagsMask"/> (NX, PAT, global pages), as the emulated machine has.
    /// </summary>
    public Mapper(TMem memory, TTlb tlb, IFrameSource frames, ulong rootTable)
        : this(memory, tlb, frames, rootTable, (PageFlags)PageTableEntry.FeatureFlagsMask)
    {
    }

    /// <summary>
    /// Manages the address space whose PML4 is at <paramref name="rootTable"/>. The caller passes a 4 KiB
    /// aligned frame that <paramref name="memory"/> can reach and that holds a valid PML4 (for instance one
    /// made by <see cref="CreateRootTable"/>); every table below it must have come from <paramref name="frames"/>
    /// if this mapper is ever to release it. <paramref name="supportedFeatures"/> says which of the
    /// feature-dependent flags (<see cref="PageTableEntry.FeatureFlagsMask"/>: Global, Pat, NoExecute) the CPU
    /// supports; the others are dropped from every leaf this mapper writes, so that no caller can set a bit
    /// that is reserved on this CPU (as Linux masks _PAGE_NX out of its supported-PTE mask without NX).
    /// Dropping is what the flags mean on such a CPU: every page is executable without NX, and the memory
    /// type is PCD/PWT's without PAT. Flags that need no feature cannot be dropped.
    /// </summary>
    public Mapper(TMem memory, TTlb tlb, IFrameSource frames, ulong rootTable, PageFlags supportedFeatures)
    {
        _memory = memory;
        _tlb = tlb;
        _frames = frames;
        _lock = frames.Lock;
        _root = rootTable;
        _leafMask = PageTableEntry.LeafFlagsMask & ~(PageTableEntry.FeatureFlagsMask & ~(ulong)supportedFeatures);
    }

    /// <summary>The feature-dependent flags this mapper writes; the rest of <see cref="PageTableEntry.FeatureFlagsMask"/> it drops.</summary>
    public PageFlags SupportedFeatures => (PageFlags)(_leafMask & PageTableEntry.FeatureFlagsMask);

    /// <summary>The memory manager's lock, the frame source's: every operation holds it.</summary>
    public MemoryLock Lock => _lock;

    /// <summary>The physical address of the PML4: what CR3 holds while this address space runs.</summary>
    public ulong RootTable => _root;

    /// <summary>Allocates a PML4 from <paramref name="frames"/> and clears it: an address space with nothing mapped.</summary>
    public static PagingStatus CreateRootTable(TMem memory, IFrameSource frames, out ulong rootTable)
    {
        if (!frames.TryAllocateFrame(out rootTable))
        {
            rootTable = 0;
            return PagingStatus.OutOfFrames;
        }
        ClearTable((ulong*)memory.Access(rootTable));
        return PagingStatus.Success;
    }

    /// <summary>
    /// Maps the page at <paramref name="virtualAddress"/> to the frame at <paramref name="physicalAddress"/>,
    /// creating the tables on the way. <paramref name="flags"/> may hold any <see cref="PageFlags"/> except
    /// <see cref="PageFlags.Guard"/>; <see cref="PageFlags.User"/> only in the lower half; feature flags the CPU
    /// lacks are dropped (see <see cref="SupportedFeatures"/>); software marks only on a 4 KiB page. Mapping over a
    /// user-heap reservation is allowed (it is how a first touch is backed) and keeps the UHPAGE mark.
    /// </summary>
    public PagingStatus Map(ulong virtualAddress, ulong physicalAddress, PageFlags flags, PageSize size)
    {
        ulong state = _lock.Enter();
        PagingStatus result = MapLocked(virtualAddress, physicalAddress, flags, size);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus MapLocked(ulong virtualAddress, ulong physicalAddress, PageFlags flags, PageSize size)
    {
        PagingStatus status = CheckMapping(virtualAddress, physicalAddress, flags, size);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        return MapChecked(virtualAddress, physicalAddress, flags, size, grantUser: true);
    }

    /// <summary>
    /// Maps <paramref name="count"/> consecutive pages to consecutive frames, all or nothing: if any page
    /// fails, the pages mapped by this call are unmapped again (and their new tables released) before the
    /// first failure's status is returned. A count of 0 is <see cref="PagingStatus.InvalidRange"/>.
    /// </summary>
    public PagingStatus MapRange(ulong virtualAddress, ulong physicalAddress, ulong count, PageFlags flags, PageSize size)
    {
        ulong state = _lock.Enter();
        PagingStatus result = MapRangeLocked(virtualAddress, physicalAddress, count, flags, size);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus MapRangeLocked(ulong virtualAddress, ulong physicalAddress, ulong count, PageFlags flags, PageSize size)
    {
        PagingStatus status = CheckMapping(virtualAddress, physicalAddress, flags, size);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        status = CheckRange(virtualAddress, count, size);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        ulong bytes = VirtualAddressLayout.BytesIn(size);
        if (count > (PageTableEntry.PhysicalAddressLimit - physicalAddress) / bytes)
        {
            return PagingStatus.PhysicalAddressOutOfRange;
        }
        return MapRun(virtualAddress, (int)size, count, null, physicalAddress, flags);
    }

    /// <summary>
    /// Maps the <paramref name="count"/> 4 KiB pages from <paramref name="virtualAddress"/> to the frames
    /// <paramref name="frames"/>[0] to [count - 1], which need not be contiguous, all or nothing, with one
    /// walk per page table: the table that holds a run of the pages is found (or made, with any tables above
    /// it) once, its entries written in a row and its entry count updated once. Flags, reservations and
    /// failures as for <see cref="Map"/> of each page; a failure undoes the pages this call mapped.
    /// </summary>
    public PagingStatus MapPages(ulong virtualAddress, ulong* frames, ulong count, PageFlags flags)
    {
        ulong state = _lock.Enter();
        PagingStatus result = MapPagesLocked(virtualAddress, frames, count, flags);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus MapPagesLocked(ulong virtualAddress, ulong* frames, ulong count, PageFlags flags)
    {
        PagingStatus status = CheckRange(virtualAddress, count, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        status = CheckMapping(virtualAddress, 0, flags, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        // Each frame is checked as its entry is written (WriteMappings), which undoes the run on a bad one.
        return MapRun(virtualAddress, LeafTableLevel, count, frames, 0, flags);
    }

    /// <summary>
    /// Unmaps the <paramref name="count"/> 4 KiB pages from <paramref name="virtualAddress"/> with one walk per
    /// page table, writing the frame each mapped into <paramref name="frames"/>[i] (0 for a page that was not
    /// mapped by a 4 KiB entry, which is left alone); the frames stay the caller's to free. Reservation marks
    /// survive as for <see cref="Unmap"/>, each unmapped page is invalidated, and tables left empty are
    /// released. Fails, changing nothing, only for a range that is misaligned, non-canonical or wraps.
    /// </summary>
    public PagingStatus UnmapPages(ulong virtualAddress, ulong count, ulong* frames)
    {
        ulong state = _lock.Enter();
        PagingStatus result = UnmapPagesLocked(virtualAddress, count, frames);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus UnmapPagesLocked(ulong virtualAddress, ulong count, ulong* frames)
    {
        PagingStatus status = CheckPage(virtualAddress, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        status = CheckRange(virtualAddress, count, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        UnmapRun(virtualAddress, LeafTableLevel, count, frames);
        return PagingStatus.Success;
    }

    /// <summary>
    /// Removes the mapping of the page of <paramref name="size"/> at <paramref name="virtualAddress"/> and
    /// returns the frame it mapped, which stays the caller's to free. A reservation mark on a 4 KiB page's
    /// entry survives, so an evicted user-heap page is again "reserved, not backed"; a large page's entry is
    /// cleared whole. Tables left empty are released.
    /// </summary>
    public PagingStatus Unmap(ulong virtualAddress, PageSize size, out ulong physicalAddress)
    {
        ulong state = _lock.Enter();
        PagingStatus result = UnmapLocked(virtualAddress, size, out physicalAddress);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus UnmapLocked(ulong virtualAddress, PageSize size, out ulong physicalAddress)
    {
        physicalAddress = 0;
        PagingStatus status = CheckPage(virtualAddress, size);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        int leaf = (int)size;
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        status = FindLeaf(virtualAddress, leaf, slots);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        ulong current = *slots[leaf];
        physicalAddress = current & PageTableEntry.FrameMask(size);
        // Only a PTE can hold a reservation; a large page's entry goes entirely, so its tables can go too.
        ulong kept = leaf == LeafTableLevel ? current & PageTableEntry.ReservationMask : 0;
        *slots[leaf] = kept;
        ReleaseEmptyTables(virtualAddress, leaf, slots, kept == 0 ? 1UL : 0, mustInvalidate: true);
        return PagingStatus.Success;
    }

    /// <summary>
    /// Replaces the protection of the mapped page of <paramref name="size"/> at <paramref name="virtualAddress"/>:
    /// <paramref name="flags"/> may hold only Writable, User (lower half), WriteThrough, CacheDisable, Pat,
    /// Global and NoExecute (less the feature flags the CPU lacks). The frame, the Accessed/Dirty state and the
    /// software marks are kept.
    /// </summary>
    public PagingStatus Protect(ulong virtualAddress, PageSize size, PageFlags flags)
    {
        ulong state = _lock.Enter();
        PagingStatus result = ProtectLocked(virtualAddress, size, flags);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus ProtectLocked(ulong virtualAddress, PageSize size, PageFlags flags)
    {
        PagingStatus status = CheckPage(virtualAddress, size);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        if (((ulong)flags & ~PageTableEntry.ProtectionMask) != 0 || !UserFlagsAllowed(virtualAddress, flags))
        {
            return PagingStatus.InvalidFlags;
        }
        int leaf = (int)size;
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        status = FindLeaf(virtualAddress, leaf, slots);
        if (status != PagingStatus.Success)
        {
            return status;
        }

        ulong current = *slots[leaf];
        // In a large-page entry PAT is bit 12 and bit 7 is PS, which must stay; in a PTE bit 7 is PAT.
        ulong replaced = size == PageSize.Size4KiB
            ? PageTableEntry.ProtectionMask
            : (PageTableEntry.ProtectionMask & ~PageTableEntry.PteAttributeBit) | PageTableEntry.LargeAttributeBit;
        ulong updated = (current & ~replaced) | (PageTableEntry.Leaf(0, Supported(flags), size).Value & replaced);

        bool granted = (flags & PageFlags.User) != 0 && GrantUser(leaf, slots, RootLevel);
        if (updated != current)
        {
            *slots[leaf] = updated;
        }
        if (updated != current || granted)
        {
            _tlb.Invalidate(_root, virtualAddress);
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Translates <paramref name="virtualAddress"/> as the CPU would (ignoring access rights): the physical
    /// byte, the leaf's flags and the size of the page that maps it.
    /// </summary>
    public PagingStatus Translate(ulong virtualAddress, out Translation translation)
    {
        ulong state = _lock.Enter();
        PagingStatus result = TranslateLocked(virtualAddress, out translation);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus TranslateLocked(ulong virtualAddress, out Translation translation)
    {
        translation = default;
        PageWalk walk;
        PagingStatus status = WalkLocked(virtualAddress, out walk);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        if (!walk.IsMapped)
        {
            return PagingStatus.NotMapped;
        }
        // The walk stopped at the present entry that maps the page; its level is the page size.
        PageSize size = walk.Size;
        PageTableEntry leaf = walk.LastEntry;
        ulong offset = virtualAddress & (VirtualAddressLayout.BytesIn(size) - 1);
        translation = new Translation(leaf.FrameAddress(size) | offset, leaf.LeafFlags(size), size);
        return PagingStatus.Success;
    }

    /// <summary>
    /// Reads every entry the CPU would read to translate <paramref name="virtualAddress"/>, stopping where
    /// the CPU would. Non-canonical addresses are the only failure.
    /// </summary>
    public PagingStatus Walk(ulong virtualAddress, out PageWalk walk)
    {
        ulong state = _lock.Enter();
        PagingStatus result = WalkLocked(virtualAddress, out walk);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus WalkLocked(ulong virtualAddress, out PageWalk walk)
    {
        walk = default;
        if (!VirtualAddressLayout.IsCanonical(virtualAddress))
        {
            return PagingStatus.NonCanonicalAddress;
        }
        ulong* entries = stackalloc ulong[RootLevel + 1];
        int level = RootLevel;
        ulong* table = TableAt(_root);
        for (; ; level--)
        {
            ulong entry = table[VirtualAddressLayout.TableIndex(virtualAddress, (PageTableLevel)level)];
            entries[level] = entry;
            if ((entry & PageTableEntry.PresentBit) == 0 || IsLeaf(entry, level))
            {
                break;
            }
            table = TableAt(entry & PageTableEntry.AddressMask);
        }
        for (int below = level - 1; below >= LeafTableLevel; below--)
        {
            entries[below] = 0;
        }
        walk = new PageWalk(
            virtualAddress,
            (PageTableLevel)level,
            new PageTableEntry(entries[(int)PageTableLevel.Pml4]),
            new PageTableEntry(entries[(int)PageTableLevel.Pdpt]),
            new PageTableEntry(entries[(int)PageTableLevel.PageDirectory]),
            new PageTableEntry(entries[(int)PageTableLevel.PageTable]));
        return PagingStatus.Success;
    }

    /// <summary>
    /// Marks the 4 KiB page at <paramref name="virtualAddress"/> as reserved without backing it: the PTE stays
    /// non-present and carries only <paramref name="marks"/> (UserHeapReserved and/or Guard; UserHeapReserved
    /// only in the lower half). Page tables are created as needed, with U/S for a user-heap page, so that the
    /// page-fault handler can later map a frame without allocating tables. No frame is allocated for the page.
    /// </summary>
    public PagingStatus Reserve(ulong virtualAddress, PageFlags marks)
    {
        ulong state = _lock.Enter();
        PagingStatus result = ReserveLocked(virtualAddress, marks);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus ReserveLocked(ulong virtualAddress, PageFlags marks)
    {
        PagingStatus status = CheckReservation(virtualAddress, marks);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        return ReserveChecked(virtualAddress, marks, grantUser: true);
    }

    /// <summary>Reserves <paramref name="count"/> consecutive 4 KiB pages, all or nothing (see <see cref="Reserve"/>).</summary>
    public PagingStatus ReserveRange(ulong virtualAddress, ulong count, PageFlags marks)
    {
        ulong state = _lock.Enter();
        PagingStatus result = ReserveRangeLocked(virtualAddress, count, marks);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus ReserveRangeLocked(ulong virtualAddress, ulong count, PageFlags marks)
    {
        PagingStatus status = CheckReservation(virtualAddress, marks);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        status = CheckRange(virtualAddress, count, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        ulong reservation = PageTableEntry.Reservation(marks).Value;
        bool user = (marks & PageFlags.UserHeapReserved) != 0;
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        ulong done = 0;
        while (done < count)
        {
            ulong page = virtualAddress + (done << MemConstants.PageShift);
            ulong run = RunLength(page, LeafTableLevel, count - done);
            status = FindOrMakeTable(page, LeafTableLevel, slots, user);
            if (status == PagingStatus.Success)
            {
                status = CheckReservable(slots[LeafTableLevel], run);
            }
            if (status != PagingStatus.Success)
            {
                // A table made for this run is empty and passes the check: only the runs before need undoing.
                ClearReservations(virtualAddress, done);
                return status;
            }
            ulong* entries = slots[LeafTableLevel];
            for (ulong i = 0; i < run; i++)
            {
                entries[i] = reservation;
            }
            AddEntries(page, LeafTableLevel, slots, run);
            done += run;
        }
        if (user)
        {
            GrantUserToRange(virtualAddress, count, PageSize.Size4KiB);
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Clears the reservation of the non-present 4 KiB page at <paramref name="virtualAddress"/> and releases
    /// tables left empty. A mapped page must be unmapped first (<see cref="PagingStatus.AlreadyMapped"/>).
    /// </summary>
    public PagingStatus Unreserve(ulong virtualAddress)
    {
        ulong state = _lock.Enter();
        PagingStatus result = UnreserveLocked(virtualAddress);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus UnreserveLocked(ulong virtualAddress)
    {
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        PagingStatus status = DescendToMarkedEntry(virtualAddress, PageTableEntry.ReservationMask, slots);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        *slots[LeafTableLevel] = 0;
        ReleaseEmptyTables(virtualAddress, LeafTableLevel, slots, 1, mustInvalidate: false);
        return PagingStatus.Success;
    }

    /// <summary>
    /// True when the 4 KiB page at <paramref name="virtualAddress"/> is reserved and not present; then
    /// <paramref name="marks"/> holds its marks. This is the page-fault handler's question: back it, or kill?
    /// </summary>
    public bool TryGetReservation(ulong virtualAddress, out PageFlags marks)
    {
        bool result = TryGetReservationEntry(virtualAddress, out PageTableEntry entry);
        marks = entry.Marks;
        return result;
    }

    /// <summary>
    /// As <see cref="TryGetReservation(ulong, out PageFlags)"/>, giving the whole reservation entry (zero when
    /// false): its marks, and whether it is swapped and to which slot, from one walk, which is all a fault on
    /// the page needs to know before it takes a frame.
    /// </summary>
    public bool TryGetReservationEntry(ulong virtualAddress, out PageTableEntry entry)
    {
        ulong state = _lock.Enter();
        bool result = TryGetReservationLocked(virtualAddress, out entry);
        _lock.Exit(state);
        return result;
    }

    private bool TryGetReservationLocked(ulong virtualAddress, out PageTableEntry entry)
    {
        entry = default;
        if (!VirtualAddressLayout.IsCanonical(virtualAddress))
        {
            return false;
        }
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        if (Descend(virtualAddress, LeafTableLevel, slots, out int missingLevel) != PagingStatus.Success || missingLevel != 0)
        {
            return false;
        }
        PageTableEntry found = new PageTableEntry(*slots[LeafTableLevel]);
        if (!found.IsReservation)
        {
            return false;
        }
        entry = found;
        return true;
    }

    /// <summary>
    /// Gives every empty upper-half PML4 entry a cleared PDPT, all or nothing. Called once on the kernel's
    /// own root before any process exists: since upper-half PDPTs are shared and never released, kernel
    /// mappings made later then appear in every address space that copied the upper half.
    /// </summary>
    public PagingStatus PopulateUpperHalf()
    {
        ulong state = _lock.Enter();
        PagingStatus result = PopulateUpperHalfLocked();
        _lock.Exit(state);
        return result;
    }

    private PagingStatus PopulateUpperHalfLocked()
    {
        ulong* root = TableAt(_root);
        ulong* frames = stackalloc ulong[UpperHalfPml4Entries];
        int needed = 0;
        for (int i = VirtualAddressLayout.FirstUpperHalfPml4Index; i < VirtualAddressLayout.EntriesPerTable; i++)
        {
            if ((root[i] & PageTableEntry.PresentBit) != 0)
            {
                continue;
            }
            if (!_frames.TryAllocateFrame(out frames[needed]))
            {
                for (int j = 0; j < needed; j++)
                {
                    _frames.FreeFrame(frames[j]);
                }
                return PagingStatus.OutOfFrames;
            }
            ClearTable(TableAt(frames[needed]));
            needed++;
        }
        int next = 0;
        for (int i = VirtualAddressLayout.FirstUpperHalfPml4Index; i < VirtualAddressLayout.EntriesPerTable; i++)
        {
            if ((root[i] & PageTableEntry.PresentBit) == 0)
            {
                root[i] = PageTableEntry.Table(frames[next++], user: false).Value;
            }
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Copies the upper-half (kernel) PML4 entries of the address space at <paramref name="sourceRoot"/> into
    /// this one, so both share the kernel's tables. Meant for a fresh root: if this root already has a present
    /// upper-half entry that differs from the source's, nothing is copied and
    /// <see cref="PagingStatus.AlreadyMapped"/> is returned. Only non-present entries change, so no TLB work.
    /// </summary>
    public PagingStatus CopyUpperHalfFrom(ulong sourceRoot)
    {
        ulong state = _lock.Enter();
        PagingStatus result = CopyUpperHalfFromLocked(sourceRoot);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus CopyUpperHalfFromLocked(ulong sourceRoot)
    {
        ulong* source = TableAt(sourceRoot);
        ulong* target = TableAt(_root);
        for (int i = VirtualAddressLayout.FirstUpperHalfPml4Index; i < VirtualAddressLayout.EntriesPerTable; i++)
        {
            if ((target[i] & PageTableEntry.PresentBit) != 0 && target[i] != source[i])
            {
                return PagingStatus.AlreadyMapped;
            }
        }
        for (int i = VirtualAddressLayout.FirstUpperHalfPml4Index; i < VirtualAddressLayout.EntriesPerTable; i++)
        {
            target[i] = source[i];
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Unmaps the 4 KiB page at <paramref name="virtualAddress"/> as <see cref="Unmap"/> does (a reservation mark
    /// survives), also giving the flags its entry had, the CPU's accessed and dirty bits among them: what an
    /// eviction must know before it decides whether the page needs writing out.
    /// </summary>
    public PagingStatus Unmap(ulong virtualAddress, out ulong physicalAddress, out PageFlags flags)
    {
        ulong state = _lock.Enter();
        PagingStatus result = UnmapLocked(virtualAddress, out physicalAddress, out flags);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus UnmapLocked(ulong virtualAddress, out ulong physicalAddress, out PageFlags flags)
    {
        flags = PageFlags.None;
        physicalAddress = 0;
        PagingStatus status = CheckPage(virtualAddress, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        status = FindLeaf(virtualAddress, LeafTableLevel, slots);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        PageTableEntry entry = new PageTableEntry(*slots[LeafTableLevel]);
        flags = entry.LeafFlags(PageSize.Size4KiB);
        return UnmapLocked(virtualAddress, PageSize.Size4KiB, out physicalAddress);
    }

    /// <summary>
    /// Records that the evicted user-heap page at <paramref name="virtualAddress"/> is in page-file slot
    /// <paramref name="slot"/>: its entry must be a non-present UHPAGE reservation (what <see cref="Unmap"/>
    /// leaves), and becomes a swapped entry holding the slot. Nothing the CPU caches changes.
    /// </summary>
    public PagingStatus MarkSwapped(ulong virtualAddress, ulong slot)
    {
        ulong state = _lock.Enter();
        PagingStatus result = MarkSwappedLocked(virtualAddress, slot);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus MarkSwappedLocked(ulong virtualAddress, ulong slot)
    {
        if (slot > PageTableEntry.MaximumSwapSlot)
        {
            return PagingStatus.InvalidRange;
        }
        ulong* entry;
        PagingStatus status = FindReservation(virtualAddress, out entry);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        *entry = PageTableEntry.Swapped(slot).Value;
        return PagingStatus.Success;
    }

    /// <summary>
    /// Reads and clears the accessed bit of the present 4 KiB page at <paramref name="virtualAddress"/> (false
    /// when it is not mapped). Clearing it drops the page's cached translation, since the CPU sets the bit only
    /// when it walks the tables (SDM Vol. 3A, 4.8): the next access walks again and sets it.
    /// </summary>
    public bool TestAndClearAccessed(ulong virtualAddress)
    {
        ulong state = _lock.Enter();
        bool result = TestAndClearAccessedLocked(virtualAddress);
        _lock.Exit(state);
        return result;
    }

    private bool TestAndClearAccessedLocked(ulong virtualAddress)
    {
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        if (!VirtualAddressLayout.IsCanonical(virtualAddress) || FindLeaf(virtualAddress, LeafTableLevel, slots) != PagingStatus.Success)
        {
            return false;
        }
        ulong current = *slots[LeafTableLevel];
        if ((current & PageTableEntry.AccessedBit) == 0)
        {
            return false;
        }
        *slots[LeafTableLevel] = current & ~PageTableEntry.AccessedBit;
        _tlb.Invalidate(_root, virtualAddress);
        return true;
    }

    /// <summary>The accessed and dirty bits of the present 4 KiB page at <paramref name="virtualAddress"/>, as flags (None when not mapped).</summary>
    public PageFlags ReferenceBits(ulong virtualAddress)
    {
        ulong state = _lock.Enter();
        PageFlags result = ReferenceBitsLocked(virtualAddress);
        _lock.Exit(state);
        return result;
    }

    private PageFlags ReferenceBitsLocked(ulong virtualAddress)
    {
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        if (!VirtualAddressLayout.IsCanonical(virtualAddress) || FindLeaf(virtualAddress, LeafTableLevel, slots) != PagingStatus.Success)
        {
            return PageFlags.None;
        }
        return (PageFlags)(*slots[LeafTableLevel] & (PageTableEntry.AccessedBit | PageTableEntry.DirtyBit));
    }

    /// <summary>
    /// Sets or clears the Pinned mark of the present 4 KiB page at <paramref name="virtualAddress"/>: a page the
    /// replacement policy must never evict. The CPU ignores the bit, so no TLB work.
    /// </summary>
    public PagingStatus SetPinned(ulong virtualAddress, bool pinned)
    {
        ulong state = _lock.Enter();
        PagingStatus result = SetPinnedLocked(virtualAddress, pinned);
        _lock.Exit(state);
        return result;
    }

    private PagingStatus SetPinnedLocked(ulong virtualAddress, bool pinned)
    {
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        PagingStatus status = CheckPage(virtualAddress, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        status = FindLeaf(virtualAddress, LeafTableLevel, slots);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        ulong current = *slots[LeafTableLevel];
        *slots[LeafTableLevel] = pinned ? current | PageTableEntry.PinnedBit : current & ~PageTableEntry.PinnedBit;
        return PagingStatus.Success;
    }

    /// <summary>Finds the non-present 4 KiB entry of <paramref name="virtualAddress"/> that carries the UHPAGE mark.</summary>
    private PagingStatus FindReservation(ulong virtualAddress, out ulong* entry)
    {
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        PagingStatus status = DescendToMarkedEntry(virtualAddress, PageTableEntry.UserHeapReservedBit, slots);
        entry = status == PagingStatus.Success ? slots[LeafTableLevel] : null;
        return status;
    }

    /// <summary>
    /// Walks to the 4 KiB entry of <paramref name="virtualAddress"/> (the tables on the way in
    /// <paramref name="slots"/>) and checks it is not present and carries one of <paramref name="marks"/>:
    /// <see cref="PagingStatus.NotReserved"/> when a table is missing or no mark is there,
    /// <see cref="PagingStatus.AlreadyMapped"/> when the page is present.
    /// </summary>
    private PagingStatus DescendToMarkedEntry(ulong virtualAddress, ulong marks, ulong** slots)
    {
        PagingStatus status = CheckPage(virtualAddress, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        status = Descend(virtualAddress, LeafTableLevel, slots, out int missingLevel);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        if (missingLevel != 0)
        {
            return PagingStatus.NotReserved;
        }
        ulong current = *slots[LeafTableLevel];
        if ((current & PageTableEntry.PresentBit) != 0)
        {
            return PagingStatus.AlreadyMapped;
        }
        if ((current & marks) == 0)
        {
            return PagingStatus.NotReserved;
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// One step of a walk over the 4 KiB entries that hold something (a mapping or a reservation) in
    /// [<paramref name="cursor"/>, <paramref name="end"/>), in address order, skipping whole tables that do not
    /// exist: start with the cursor at the range's first page and call until it returns false. Each call
    /// gives the page's address and its raw entry. A large page in the way is skipped. Each call descends from
    /// the root afresh, so between calls the caller may change or clear entries the walk has passed (releasing
    /// tables that leaves empty); entries ahead of the cursor must not change.
    /// </summary>
    public bool NextEntry(ref ulong cursor, ulong end, out ulong page, out PageTableEntry entry)
    {
        ulong state = _lock.Enter();
        bool found = NextEntryLocked(ref cursor, end, out page, out entry);
        _lock.Exit(state);
        return found;
    }

    private bool NextEntryLocked(ref ulong cursor, ulong end, out ulong page, out PageTableEntry entry)
    {
        while (cursor < end && VirtualAddressLayout.IsCanonical(cursor))
        {
            ulong* table = TableAt(_root);
            int level = RootLevel;
            for (; level > LeafTableLevel; level--)
            {
                ulong next = table[VirtualAddressLayout.TableIndex(cursor, (PageTableLevel)level)];
                if ((next & PageTableEntry.PresentBit) == 0 || IsLeaf(next, level))
                {
                    break;
                }
                table = TableAt(next & PageTableEntry.AddressMask);
            }
            if (level > LeafTableLevel)
            {
                // Nothing below this entry: go to the start of the next region it covers.
                ulong span = 1UL << VirtualAddressLayout.LevelShift((PageTableLevel)level);
                ulong following = MemConstants.AlignDown(cursor, span) + span;
                if (following <= cursor)
                {
                    break;
                }
                cursor = following;
                continue;
            }
            for (int index = VirtualAddressLayout.TableIndex(cursor, PageTableLevel.PageTable); index < VirtualAddressLayout.EntriesPerTable && cursor < end; index++)
            {
                ulong value = table[index];
                ulong at = cursor;
                cursor += MemConstants.PageSize;
                if (cursor == 0)
                {
                    // Past the last page of the address space: nothing lies above it, whatever the range says,
                    // and a cursor wrapped to 0 would start the walk again from the bottom.
                    cursor = end;
                }
                if (value != 0)
                {
                    page = at;
                    entry = new PageTableEntry(value);
                    return true;
                }
            }
        }
        page = 0;
        entry = default;
        return false;
    }

    /// <summary>
    /// Tears down the lower half (user space) of this address space: every present 4 KiB leaf's frame goes to
    /// <paramref name="leafFrames"/>, every page table below the root to this mapper's frame source, and
    /// every lower-half root entry is cleared; reservations simply vanish with their tables. The upper half
    /// is untouched. Large leaves are unmapped but their frames are not freed (they were never single frames
    /// of a source); they are counted in <paramref name="largeLeaves"/>. The caller guarantees that no CPU
    /// runs on this address space (its CR3 holds another root), so one full invalidation request at the end
    /// is all the TLB work there is.
    /// </summary>
    public void ReleaseLowerHalf(IFrameSource leafFrames, out ulong leavesFreed, out ulong tablesFreed, out ulong largeLeaves)
    {
        ulong state = _lock.Enter();
        ReleaseLowerHalfLocked(leafFrames, out leavesFreed, out tablesFreed, out largeLeaves);
        _lock.Exit(state);
    }

    private void ReleaseLowerHalfLocked(IFrameSource leafFrames, out ulong leavesFreed, out ulong tablesFreed, out ulong largeLeaves)
    {
        leavesFreed = 0;
        tablesFreed = 0;
        largeLeaves = 0;
        ulong* root = TableAt(_root);
        for (int i = 0; i < VirtualAddressLayout.FirstUpperHalfPml4Index; i++)
        {
            ulong entry = root[i];
            if ((entry & PageTableEntry.PresentBit) == 0)
            {
                root[i] = 0;
                continue;
            }
            ReleaseTable(entry & PageTableEntry.AddressMask, RootLevel - 1, leafFrames, ref leavesFreed, ref tablesFreed, ref largeLeaves);
            root[i] = 0;
        }
        _tlb.InvalidateAll(_root);
    }

    /// <summary>Frees the table at <paramref name="table"/> of <paramref name="level"/> and everything below it.</summary>
    private void ReleaseTable(ulong table, int level, IFrameSource leafFrames, ref ulong leaves, ref ulong tables, ref ulong large)
    {
        ulong* entries = TableAt(table);
        for (int i = 0; i < VirtualAddressLayout.EntriesPerTable; i++)
        {
            ulong entry = entries[i];
            if ((entry & PageTableEntry.PresentBit) == 0)
            {
                continue;
            }
            if (level == LeafTableLevel)
            {
                leafFrames.FreeFrame(entry & PageTableEntry.AddressMask);
                leaves++;
            }
            else if (IsLeaf(entry, level))
            {
                large++;
            }
            else
            {
                ReleaseTable(entry & PageTableEntry.AddressMask, level - 1, leafFrames, ref leaves, ref tables, ref large);
            }
        }
        _frames.FreeFrame(table);
        tables++;
    }

    private PagingStatus MapChecked(ulong virtualAddress, ulong physicalAddress, PageFlags flags, PageSize size, bool grantUser)
    {
        int leaf = (int)size;
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        PagingStatus status = Descend(virtualAddress, leaf, slots, out int missingLevel);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        ulong kept = 0;
        if (missingLevel == 0)
        {
            ulong current = *slots[leaf];
            if ((current & PageTableEntry.PresentBit) != 0)
            {
                return IsLeaf(current, leaf) ? PagingStatus.AlreadyMapped : PagingStatus.PageSizeConflict;
            }
            if ((current & PageTableEntry.GuardBit) != 0)
            {
                return PagingStatus.AlreadyReserved;
            }
            kept = current & PageTableEntry.UserHeapReservedBit;
        }
        ulong entry = PageTableEntry.Leaf(physicalAddress, Supported(flags), size).Value | kept;
        return Install(virtualAddress, leaf, slots, missingLevel, entry, (flags & PageFlags.User) != 0, grantUser);
    }

    private PagingStatus ReserveChecked(ulong virtualAddress, PageFlags marks, bool grantUser)
    {
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        PagingStatus status = Descend(virtualAddress, LeafTableLevel, slots, out int missingLevel);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        if (missingLevel == 0)
        {
            ulong current = *slots[LeafTableLevel];
            if ((current & PageTableEntry.PresentBit) != 0)
            {
                return PagingStatus.AlreadyMapped;
            }
            if (current != 0)
            {
                return PagingStatus.AlreadyReserved;
            }
        }
        bool user = (marks & PageFlags.UserHeapReserved) != 0;
        return Install(virtualAddress, LeafTableLevel, slots, missingLevel, PageTableEntry.Reservation(marks).Value, user, grantUser);
    }

    /// <summary>
    /// Follows <paramref name="virtualAddress"/> from the root towards <paramref name="leafLevel"/>, recording in
    /// <paramref name="slots"/>[level] a pointer to the entry read at each level. On success,
    /// <paramref name="missingLevel"/> is 0 when the table that holds the leaf-level entry exists (and
    /// slots[leafLevel] is valid); otherwise it is the level of the non-present entry where the tables end.
    /// A page mapped above the leaf level is <see cref="PagingStatus.PageSizeConflict"/>.
    /// The caller passes room for <c>RootLevel + 1</c> pointers.
    /// </summary>
    private PagingStatus Descend(ulong virtualAddress, int leafLevel, ulong** slots, out int missingLevel)
    {
        ulong* table = TableAt(_root);
        for (int level = RootLevel; ; level--)
        {
            ulong* slot = table + VirtualAddressLayout.TableIndex(virtualAddress, (PageTableLevel)level);
            slots[level] = slot;
            if (level == leafLevel)
            {
                missingLevel = 0;
                return PagingStatus.Success;
            }
            ulong entry = *slot;
            if ((entry & PageTableEntry.PresentBit) == 0)
            {
                missingLevel = level;
                return PagingStatus.Success;
            }
            if (IsLeaf(entry, level))
            {
                missingLevel = 0;
                return PagingStatus.PageSizeConflict;
            }
            table = TableAt(entry & PageTableEntry.AddressMask);
        }
    }

    /// <summary>
    /// Descends to a present leaf of exactly <paramref name="leafLevel"/> (for unmap and protect):
    /// <see cref="PagingStatus.NotMapped"/> when there is none, <see cref="PagingStatus.PageSizeConflict"/>
    /// when a page of another size is in the way.
    /// </summary>
    private PagingStatus FindLeaf(ulong virtualAddress, int leafLevel, ulong** slots)
    {
        PagingStatus status = Descend(virtualAddress, leafLevel, slots, out int missingLevel);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        if (missingLevel != 0)
        {
            return PagingStatus.NotMapped;
        }
        ulong current = *slots[leafLevel];
        if ((current & PageTableEntry.PresentBit) == 0)
        {
            return PagingStatus.NotMapped;
        }
        return IsLeaf(current, leafLevel) ? PagingStatus.Success : PagingStatus.PageSizeConflict;
    }

    /// <summary>
    /// Stores <paramref name="leafEntry"/> into the leaf-level entry found by <see cref="Descend"/>, first
    /// creating the tables for levels <paramref name="missingLevel"/> - 1 down to <paramref name="leafLevel"/>.
    /// Every frame is allocated and cleared before anything is written, and the new chain is built bottom-up
    /// and published by one store into the existing table, so running out of frames leaves no trace and the
    /// CPU never sees a half-built chain.
    /// </summary>
    private PagingStatus Install(ulong virtualAddress, int leafLevel, ulong** slots, int missingLevel, ulong leafEntry, bool user, bool grantUser)
    {
        if (missingLevel == 0)
        {
            bool granted = user && grantUser && GrantUser(leafLevel, slots, RootLevel);
            ulong previous = *slots[leafLevel];
            *slots[leafLevel] = leafEntry;
            if (previous == 0)
            {
                AddEntries(virtualAddress, leafLevel, slots, 1);
            }
            if (granted)
            {
                _tlb.Invalidate(_root, virtualAddress);
            }
            return PagingStatus.Success;
        }

        int count = missingLevel - leafLevel;
        ulong* frames = stackalloc ulong[MaxNewTables];
        for (int i = 0; i < count; i++)
        {
            if (!_frames.TryAllocateFrame(out frames[i]))
            {
                for (int j = 0; j < i; j++)
                {
                    _frames.FreeFrame(frames[j]);
                }
                return PagingStatus.OutOfFrames;
            }
            ClearTable(TableAt(frames[i]));
        }

        // frames[i] becomes the table of level missingLevel - 1 - i; the last one holds the leaf. Each new table
        // holds exactly one entry.
        for (int i = 0; i < count; i++)
        {
            int level = missingLevel - 1 - i;
            ulong entry = level == leafLevel ? leafEntry : PageTableEntry.Table(frames[i + 1], user, 1).Value;
            TableAt(frames[i])[VirtualAddressLayout.TableIndex(virtualAddress, (PageTableLevel)level)] = entry;
        }
        bool grantedAbove = user && grantUser && GrantUser(missingLevel, slots, RootLevel);
        *slots[missingLevel] = PageTableEntry.Table(frames[0], user, IsCounted(missingLevel - 1, virtualAddress) ? 1u : 0u).Value;
        AddEntries(virtualAddress, missingLevel, slots, 1);
        if (grantedAbove)
        {
            _tlb.Invalidate(_root, virtualAddress);
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Sets U/S on the existing table-referencing entries slots[<paramref name="topLevel"/>] down to
    /// slots[<paramref name="belowLevel"/> + 1]; returns true if any lacked it (the caller then reports an
    /// invalidation, since the paging-structure caches may hold the entry without U/S).
    /// </summary>
    private static bool GrantUser(int belowLevel, ulong** slots, int topLevel)
    {
        bool granted = false;
        for (int level = topLevel; level > belowLevel; level--)
        {
            if ((*slots[level] & PageTableEntry.UserBit) == 0)
            {
                *slots[level] |= PageTableEntry.UserBit;
                granted = true;
            }
        }
        return granted;
    }

    /// <summary>Grants U/S above every page of a range that was just mapped or reserved, with one invalidation.</summary>
    private void GrantUserToRange(ulong virtualAddress, ulong count, PageSize size)
    {
        ulong bytes = VirtualAddressLayout.BytesIn(size);
        int leaf = (int)size;
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        bool granted = false;
        for (ulong i = 0; i < count; i++)
        {
            ulong page = virtualAddress + i * bytes;
            // Pages that share a leaf table share every entry above it: one walk per leaf table is enough.
            if (i == 0 || VirtualAddressLayout.TableIndex(page, (PageTableLevel)leaf) == 0)
            {
                Descend(page, leaf, slots, out _);
                granted |= GrantUser(leaf, slots, RootLevel);
            }
        }
        if (granted)
        {
            // INVLPG of any address flushes every paging-structure cache entry (Intel SDM Vol. 3A, 4.10.4.1).
            _tlb.Invalidate(_root, virtualAddress);
        }
    }

    /// <summary>
    /// After <paramref name="cleared"/> entries of the table at <paramref name="leafLevel"/> that holds
    /// slots[<paramref name="leafLevel"/>] went from non-zero to zero: takes them off its count, releases the
    /// table if that leaves it empty (0 cleared releases a table that was left empty), then its parent, and so
    /// on, never the root nor an upper-half PDPT.
    /// Reports the invalidation (always when <paramref name="mustInvalidate"/>) before the frames go back.
    /// </summary>
    private void ReleaseEmptyTables(ulong virtualAddress, int leafLevel, ulong** slots, ulong cleared, bool mustInvalidate)
    {
        ulong* released = stackalloc ulong[MaxNewTables];
        int count = 0;
        ulong removed = cleared;
        // Uncounted tables (the upper-half PDPTs, shared by every address space) are kept.
        for (int level = leafLevel; IsCounted(level, virtualAddress); level++)
        {
            ulong* parent = slots[level + 1];
            ulong entry = *parent - removed * PageTableEntry.EntryCountOne;
            if ((entry & PageTableEntry.EntryCountMask) != 0)
            {
                *parent = entry;
                break;
            }
            *parent = 0;
            released[count++] = entry & PageTableEntry.AddressMask;
            removed = 1;
        }
        if (mustInvalidate || count > 0)
        {
            _tlb.Invalidate(_root, virtualAddress);
        }
        for (int i = 0; i < count; i++)
        {
            _frames.FreeFrame(released[i]);
        }
    }

    /// <summary>
    /// Maps <paramref name="count"/> pages of the size of <paramref name="leaf"/> from <paramref name="virtualAddress"/>,
    /// page i to <paramref name="frames"/>[i], or to <paramref name="firstFrame"/> + i pages when
    /// <paramref name="frames"/> is null, one page table at a time: find or make the table, check every
    /// entry of the run, write them, count them. The caller has checked the range, frames and flags. A
    /// failure unmaps the runs already written; U/S is granted to existing tables only once all are in.
    /// </summary>
    private PagingStatus MapRun(ulong virtualAddress, int leaf, ulong count, ulong* frames, ulong firstFrame, PageFlags flags)
    {
        ulong bits = PageTableEntry.Leaf(0, Supported(flags), (PageSize)leaf).Value;
        bool user = (flags & PageFlags.User) != 0;
        int shift = VirtualAddressLayout.LevelShift((PageTableLevel)leaf);
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        ulong done = 0;
        while (done < count)
        {
            ulong page = virtualAddress + (done << shift);
            ulong run = RunLength(page, leaf, count - done);
            PagingStatus status = FindOrMakeTable(page, leaf, slots, user);
            ulong added = 0;
            if (status == PagingStatus.Success)
            {
                status = WriteMappings(slots[leaf], leaf, run, frames != null ? frames + done : null, firstFrame + (done << shift), bits, out added);
                if (status != PagingStatus.Success)
                {
                    // The table is as it was; if this run made it, it is empty and goes again.
                    ReleaseEmptyTables(page, leaf, slots, 0, mustInvalidate: false);
                }
            }
            if (status != PagingStatus.Success)
            {
                UnmapRun(virtualAddress, leaf, done, null);
                return status;
            }
            AddEntries(page, leaf, slots, added);
            done += run;
        }
        if (user)
        {
            GrantUserToRange(virtualAddress, count, (PageSize)leaf);
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Unmaps every page of the size of <paramref name="leaf"/> that a leaf entry maps among the
    /// <paramref name="count"/> from <paramref name="virtualAddress"/>, one page table at a time, giving
    /// <paramref name="frames"/>[i] the frame of page i or 0 (when not null). A 4 KiB entry keeps its
    /// reservation marks; each unmapped page is invalidated; tables left empty are released.
    /// </summary>
    private void UnmapRun(ulong virtualAddress, int leaf, ulong count, ulong* frames)
    {
        int shift = VirtualAddressLayout.LevelShift((PageTableLevel)leaf);
        ulong frameMask = PageTableEntry.FrameMask((PageSize)leaf);
        ulong keptMask = leaf == LeafTableLevel ? PageTableEntry.ReservationMask : 0;
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        ulong done = 0;
        while (done < count)
        {
            ulong page = virtualAddress + (done << shift);
            ulong run = RunLength(page, leaf, count - done);
            bool found = Descend(page, leaf, slots, out int missingLevel) == PagingStatus.Success && missingLevel == 0;
            ulong* entries = slots[leaf];
            ulong cleared = 0;
            for (ulong i = 0; i < run; i++)
            {
                ulong frame = 0;
                ulong entry = found ? entries[i] : 0;
                if ((entry & PageTableEntry.PresentBit) != 0 && IsLeaf(entry, leaf))
                {
                    frame = entry & frameMask;
                    ulong kept = entry & keptMask;
                    entries[i] = kept;
                    cleared += kept == 0 ? 1UL : 0UL;
                    _tlb.Invalidate(_root, page + (i << shift));
                }
                if (frames != null)
                {
                    frames[done + i] = frame;
                }
            }
            if (cleared != 0)
            {
                ReleaseEmptyTables(page, leaf, slots, cleared, mustInvalidate: false);
            }
            done += run;
        }
    }

    /// <summary>Clears <paramref name="count"/> 4 KiB reservations this call made from <paramref name="virtualAddress"/> (non-present: no invalidation).</summary>
    private void ClearReservations(ulong virtualAddress, ulong count)
    {
        ulong** slots = stackalloc ulong*[RootLevel + 1];
        ulong done = 0;
        while (done < count)
        {
            ulong page = virtualAddress + (done << MemConstants.PageShift);
            ulong run = RunLength(page, LeafTableLevel, count - done);
            Descend(page, LeafTableLevel, slots, out _);
            ulong* entries = slots[LeafTableLevel];
            for (ulong i = 0; i < run; i++)
            {
                entries[i] = 0;
            }
            ReleaseEmptyTables(page, LeafTableLevel, slots, run, mustInvalidate: false);
            done += run;
        }
    }

    /// <summary>
    /// Writes the <paramref name="run"/> leaf entries from <paramref name="entries"/> (at <paramref name="leaf"/>),
    /// entry i mapping <paramref name="frames"/>[i], or <paramref name="firstFrame"/> + i pages when
    /// <paramref name="frames"/> is null, with <paramref name="bits"/>; <paramref name="added"/> is how many were
    /// zero. A user-heap reservation keeps its mark under the mapping, as <see cref="Map"/> keeps it. An entry that
    /// is present or a guard, or a listed frame that is not a 4 KiB frame below the physical limit, stops the run
    /// and the entries written are put back as they were (each was zero or a UHPAGE reservation, and kept that
    /// mark), so the table is unchanged on failure.
    /// </summary>
    private static PagingStatus WriteMappings(ulong* entries, int leaf, ulong run, ulong* frames, ulong firstFrame, ulong bits, out ulong added)
    {
        int shift = VirtualAddressLayout.LevelShift((PageTableLevel)leaf);
        added = 0;
        for (ulong i = 0; i < run; i++)
        {
            ulong previous = entries[i];
            ulong frame = frames != null ? frames[i] : firstFrame + (i << shift);
            // A listed frame must have no bit outside a 4 KiB frame address (range runs were checked whole).
            ulong stray = frames != null ? frame & ~PageTableEntry.AddressMask : 0;
            if (((previous & (PageTableEntry.PresentBit | PageTableEntry.GuardBit)) | stray) != 0)
            {
                for (ulong j = 0; j < i; j++)
                {
                    entries[j] &= PageTableEntry.UserHeapReservedBit;
                }
                added = 0;
                if (stray != 0)
                {
                    return (stray & MemConstants.PageMask) != 0 ? PagingStatus.MisalignedPhysicalAddress : PagingStatus.PhysicalAddressOutOfRange;
                }
                if ((previous & PageTableEntry.PresentBit) == 0)
                {
                    return PagingStatus.AlreadyReserved;
                }
                return IsLeaf(previous, leaf) ? PagingStatus.AlreadyMapped : PagingStatus.PageSizeConflict;
            }
            entries[i] = frame | bits | (previous & PageTableEntry.UserHeapReservedBit);
            added += previous == 0 ? 1UL : 0UL;
        }
        return PagingStatus.Success;
    }

    /// <summary>Whether the <paramref name="run"/> PTEs from <paramref name="entries"/> are all empty, as a reservation needs.</summary>
    private static PagingStatus CheckReservable(ulong* entries, ulong run)
    {
        for (ulong i = 0; i < run; i++)
        {
            ulong entry = entries[i];
            if (entry != 0)
            {
                return (entry & PageTableEntry.PresentBit) != 0 ? PagingStatus.AlreadyMapped : PagingStatus.AlreadyReserved;
            }
        }
        return PagingStatus.Success;
    }

    /// <summary>
    /// Descends to the table at <paramref name="leafLevel"/> that holds <paramref name="virtualAddress"/>'s entry,
    /// making it and any missing table above it, so that every slot from the root down to
    /// slots[<paramref name="leafLevel"/>] points at an entry. A table made here starts with only the entry
    /// that leads down (the leaf-level one with none), the chain is published by one store, and its entries
    /// carry U/S when <paramref name="user"/> (the caller grants it to entries that existed). Running out of
    /// frames, or a large page in the way, changes nothing.
    /// </summary>
    private PagingStatus FindOrMakeTable(ulong virtualAddress, int leafLevel, ulong** slots, bool user)
    {
        PagingStatus status = Descend(virtualAddress, leafLevel, slots, out int missingLevel);
        if (status != PagingStatus.Success || missingLevel == 0)
        {
            return status;
        }
        int count = missingLevel - leafLevel;
        ulong* frames = stackalloc ulong[MaxNewTables];
        for (int i = 0; i < count; i++)
        {
            if (!_frames.TryAllocateFrame(out frames[i]))
            {
                for (int j = 0; j < i; j++)
                {
                    _frames.FreeFrame(frames[j]);
                }
                return PagingStatus.OutOfFrames;
            }
            ClearTable(TableAt(frames[i]));
        }
        // frames[i] becomes the table of level missingLevel - 1 - i; the last is the leaf-level table.
        for (int i = 0; i < count; i++)
        {
            int level = missingLevel - 1 - i;
            ulong* slot = TableAt(frames[i]) + VirtualAddressLayout.TableIndex(virtualAddress, (PageTableLevel)level);
            if (i + 1 < count)
            {
                // The table below holds one entry, unless it is the leaf-level table, which starts empty.
                *slot = PageTableEntry.Table(frames[i + 1], user, i + 2 < count ? 1u : 0u).Value;
            }
            slots[level] = slot;
        }
        uint topEntries = count > 1 && IsCounted(missingLevel - 1, virtualAddress) ? 1u : 0u;
        *slots[missingLevel] = PageTableEntry.Table(frames[0], user, topEntries).Value;
        AddEntries(virtualAddress, missingLevel, slots, 1);
        return PagingStatus.Success;
    }

    /// <summary>How many of <paramref name="remaining"/> pages from <paramref name="virtualAddress"/> lie in its table at <paramref name="level"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RunLength(ulong virtualAddress, int level, ulong remaining)
    {
        ulong left = (ulong)(VirtualAddressLayout.EntriesPerTable - VirtualAddressLayout.TableIndex(virtualAddress, (PageTableLevel)level));
        return remaining < left ? remaining : left;
    }

    /// <summary>
    /// Whether the table at <paramref name="level"/> that holds <paramref name="virtualAddress"/>'s entry keeps
    /// its entry count in the entry above it: every table below the root but the upper-half PDPTs, whose root
    /// entries every address space copies and which are never released.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsCounted(int level, ulong virtualAddress) =>
        level < RootLevel - 1 || (level == RootLevel - 1 && !VirtualAddressLayout.IsUpperHalf(virtualAddress));

    /// <summary>Adds <paramref name="entries"/> entries that became non-zero to the count of the table at <paramref name="level"/> holding slots[level].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddEntries(ulong virtualAddress, int level, ulong** slots, ulong entries)
    {
        if (IsCounted(level, virtualAddress))
        {
            *slots[level + 1] += entries * PageTableEntry.EntryCountOne;
        }
    }

    /// <summary>
    /// Checks that the entry referencing each table holds that table's count of non-zero entries and that no
    /// counted table is empty (the upper-half PDPTs carry no count and may be empty). O(tables): for tests.
    /// </summary>
    public bool VerifyEntryCounts()
    {
        ulong state = _lock.Enter();
        bool valid = VerifyEntryCounts(_root, RootLevel, 0);
        _lock.Exit(state);
        return valid;
    }

    private bool VerifyEntryCounts(ulong table, int level, ulong tableBase)
    {
        ulong* entries = TableAt(table);
        int shift = VirtualAddressLayout.LevelShift((PageTableLevel)level);
        for (int i = 0; i < VirtualAddressLayout.EntriesPerTable; i++)
        {
            ulong entry = entries[i];
            if (level == LeafTableLevel || (entry & PageTableEntry.PresentBit) == 0 || IsLeaf(entry, level))
            {
                continue;
            }
            ulong childBase = tableBase | ((ulong)i << shift);
            if (level == RootLevel && i >= VirtualAddressLayout.FirstUpperHalfPml4Index)
            {
                childBase |= VirtualAddressLayout.UpperHalfStart;
            }
            ulong child = entry & PageTableEntry.AddressMask;
            uint nonZero = 0;
            ulong* childEntries = TableAt(child);
            for (int j = 0; j < VirtualAddressLayout.EntriesPerTable; j++)
            {
                nonZero += childEntries[j] != 0 ? 1u : 0u;
            }
            uint counted = new PageTableEntry(entry).EntryCount;
            bool valid = IsCounted(level - 1, childBase) ? counted == nonZero && nonZero != 0 : counted == 0;
            if (!valid || !VerifyEntryCounts(child, level - 1, childBase))
            {
                return false;
            }
        }
        return true;
    }

    // Inlined: callers pass a constant size, which folds most of the checks away.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PagingStatus CheckPage(ulong virtualAddress, PageSize size)
    {
        if (!VirtualAddressLayout.IsCanonical(virtualAddress))
        {
            return PagingStatus.NonCanonicalAddress;
        }
        if (size < PageSize.Size4KiB || size > PageSize.Size1GiB)
        {
            return PagingStatus.InvalidPageSize;
        }
        if (!MemConstants.IsAligned(virtualAddress, VirtualAddressLayout.BytesIn(size)))
        {
            return PagingStatus.MisalignedVirtualAddress;
        }
        return PagingStatus.Success;
    }

    private static PagingStatus CheckMapping(ulong virtualAddress, ulong physicalAddress, PageFlags flags, PageSize size)
    {
        PagingStatus status = CheckPage(virtualAddress, size);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        if (!MemConstants.IsAligned(physicalAddress, VirtualAddressLayout.BytesIn(size)))
        {
            return PagingStatus.MisalignedPhysicalAddress;
        }

        // An aligned frame below the limit ends below it too: the limit is a multiple of every page size.
        if (physicalAddress >= PageTableEntry.PhysicalAddressLimit)
        {
            return PagingStatus.PhysicalAddressOutOfRange;
        }
        if (((ulong)flags & ~PageTableEntry.LeafFlagsMask) != 0 || (flags & PageFlags.Guard) != 0
            || !UserFlagsAllowed(virtualAddress, flags))
        {
            return PagingStatus.InvalidFlags;
        }

        // Software marks describe 4 KiB pages: reservations live in PTEs (Reserve makes no others) and the
        // replacement policy evicts 4 KiB pages. On a large page a mark would outlive the unmap and keep the
        // directory above it alive, with nothing able to clear it.
        if (size != PageSize.Size4KiB && ((ulong)flags & PageTableEntry.SoftwareMask) != 0)
        {
            return PagingStatus.InvalidFlags;
        }
        return PagingStatus.Success;
    }

    private static PagingStatus CheckReservation(ulong virtualAddress, PageFlags marks)
    {
        PagingStatus status = CheckPage(virtualAddress, PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            return status;
        }
        if (marks == PageFlags.None || ((ulong)marks & ~PageTableEntry.ReservationMask) != 0
            || !UserFlagsAllowed(virtualAddress, marks))
        {
            return PagingStatus.InvalidFlags;
        }
        return PagingStatus.Success;
    }

    /// <summary>The first page was checked; the range must neither wrap nor leave its canonical half.</summary>
    // Inlined: callers pass a constant size, which folds most of the checks away.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PagingStatus CheckRange(ulong virtualAddress, ulong count, PageSize size)
    {
        if (count == 0)
        {
            return PagingStatus.InvalidRange;
        }
        ulong bytes = VirtualAddressLayout.BytesIn(size);
        if (count - 1 > (ulong.MaxValue - virtualAddress) / bytes)
        {
            return PagingStatus.InvalidRange;
        }
        ulong last = virtualAddress + (count - 1) * bytes;
        if (!VirtualAddressLayout.IsCanonical(last) || VirtualAddressLayout.IsUpperHalf(last) != VirtualAddressLayout.IsUpperHalf(virtualAddress))
        {
            return PagingStatus.NonCanonicalAddress;
        }
        return PagingStatus.Success;
    }

    // User pages live in the lower half only: the upper half is the kernel's, shared by every address space.
    private static bool UserFlagsAllowed(ulong virtualAddress, PageFlags flags)
    {
        return (flags & (PageFlags.User | PageFlags.UserHeapReserved)) == 0 || !VirtualAddressLayout.IsUpperHalf(virtualAddress);
    }

    /// <summary><paramref name="flags"/> without the feature flags this CPU lacks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PageFlags Supported(PageFlags flags) => (PageFlags)((ulong)flags & _leafMask);

    /// <summary>True when <paramref name="entry"/>, present at <paramref name="level"/>, maps a page rather than a table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsLeaf(ulong entry, int level)
    {
        // PS exists only in PDPTEs and PDEs; a PTE always maps a page, and bit 7 of a PML4E is reserved.
        return level == LeafTableLevel || (level < RootLevel && (entry & PageTableEntry.HugeBit) != 0);
    }

    /// <summary>Zeroes the 512 entries at <paramref name="table"/>, which must point at a whole frame.</summary>
    private static void ClearTable(ulong* table)
    {
        for (int i = 0; i < VirtualAddressLayout.EntriesPerTable; i++)
        {
            table[i] = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong* TableAt(ulong physicalAddress) => (ulong*)_memory.Access(physicalAddress);
}
