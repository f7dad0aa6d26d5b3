using System.Runtime.CompilerServices;

namespace Kernel.Mem.Paging;

/// <summary>
/// One 64-bit entry of a paging structure (PML4E, PDPTE, PDE or PTE), as laid out in Intel SDM Vol. 3A,
/// 4.5, Tables 4-15 to 4-20. The same layout serves every level; which bits mean what depends on the
/// level and on PS:
/// <code>
///  63 | 62..59 | 58..52  | 51 ........ 12 | 11..9 | 8 | 7      | 6 | 5 | 4   | 3   | 2   | 1   | 0
///  XD | PKEY   | avail.  | frame address  | avail.| G | PS/PAT | D | A | PCD | PWT | U/S | R/W | P
/// </code>
/// - P (0): present. When clear, the CPU ignores every other bit (4.5, "ignored" for non-present
///   entries), which is what lets a non-present entry carry software marks such as UHPAGE.
/// - PS (7) in a PDPTE or PDE: the entry maps a 1 GiB or 2 MiB page instead of referencing a table;
///   reserved (must be 0) in a PML4E. In a PTE bit 7 is instead PAT, the third bit of the memory-type index.
/// - PAT of a 2 MiB / 1 GiB page is bit 12, so its frame address starts at bit 21 (30); bits 20..13
///   (29..13) are reserved and must be 0 (Tables 4-16, 4-18).
/// - D (6) and G (8) exist only in entries that map a page; in entries that reference a table they are ignored.
/// - Frame address: bits 12..51 (MAXPHYADDR is at most 52); bits above MAXPHYADDR are reserved.
/// - Bits 62..59 are the protection key when CR4.PKE is set, and this kernel leaves them 0. Keys apply only to
///   the entry that maps a page: in an entry that references a table, all of 62..52 are ignored (Tables 4-15,
///   4-17, 4-19; AMD's manual calls them available).
/// - Available to software: 11..9 and 58..52 in every entry, 62..52 in an entry that references a table. This
///   kernel names 9, 10 and 11 (marks on 4 KiB PTEs); bit 52 of a non-present user-heap PTE marks a page that is
///   in the page file (<see cref="SwappedBit"/>); bits 61..52 of an entry that references a table count that
///   table's non-zero entries (<see cref="EntryCountMask"/>).
/// </summary>
public readonly struct PageTableEntry
{
    public const ulong PresentBit = 1UL << 0;
    public const ulong WritableBit = 1UL << 1;
    public const ulong UserBit = 1UL << 2;
    public const ulong WriteThroughBit = 1UL << 3;
    public const ulong CacheDisableBit = 1UL << 4;
    public const ulong AccessedBit = 1UL << 5;
    public const ulong DirtyBit = 1UL << 6;

    /// <summary>PS in a PDPTE or PDE (maps a 1 GiB / 2 MiB page).</summary>
    public const ulong HugeBit = 1UL << 7;

    /// <summary>PAT in a PTE; shares bit 7 with PS, which a PTE does not have.</summary>
    public const ulong PteAttributeBit = 1UL << 7;
    public const ulong GlobalBit = 1UL << 8;

    /// <summary>PAT in a PDPTE or PDE that maps a page: the lowest bit of the address field for 4 KiB frames.</summary>
    public const ulong LargeAttributeBit = 1UL << 12;
    public const ulong NoExecuteBit = 1UL << 63;

    /// <summary>Software bit 9, "UHPAGE": a user-heap page reserved by sys_allocate_user_mem, not yet (or no longer) backed.</summary>
    public const ulong UserHeapReservedBit = 1UL << 9;

    /// <summary>Software bit 10: a guard page, reserved so that nothing is ever mapped there.</summary>
    public const ulong GuardBit = 1UL << 10;

    /// <summary>Software bit 11: a present page the page-replacement policy must not choose as a victim.</summary>
    public const ulong PinnedBit = 1UL << 11;

    /// <summary>
    /// Bits 52..61 of an entry that references a table: the number of non-zero entries (mappings, reservations,
    /// tables) in that table, 0 to 512, so the mapper knows in O(1) when a table empties. Ignored by the CPU
    /// there, and the walk to any entry of the table passes through this one anyway.
    /// </summary>
    public const ulong EntryCountMask = 0x3FFUL << EntryCountShift;

    /// <summary>One more entry in the referenced table: the unit of <see cref="EntryCountMask"/>.</summary>
    public const ulong EntryCountOne = 1UL << EntryCountShift;

    private const int EntryCountShift = 52;

    /// <summary>
    /// Software bit 52 of a non-present user-heap entry: the page's contents are in the page file, in the slot
    /// whose number bits 12..51 hold (where a present entry holds its frame). The UHPAGE mark stays with it.
    /// (In an entry that references a table the same bit is part of <see cref="EntryCountMask"/>: a leaf and a
    /// table-referencing entry never share a slot.)
    /// </summary>
    public const ulong SwappedBit = 1UL << 52;

    /// <summary>The marks a non-present entry may carry; they survive an unmap.</summary>
    public const ulong ReservationMask = UserHeapReservedBit | GuardBit;

    /// <summary>Every bit 9..11 this kernel names.</summary>
    public const ulong SoftwareMask = UserHeapReservedBit | GuardBit | PinnedBit;

    /// <summary>Bits 12..51: the physical address of a 4 KiB frame or of the next-level table.</summary>
    public const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;

    /// <summary>Bits 21..51: the physical address of a 2 MiB frame.</summary>
    public const ulong LargeAddressMask = 0x000F_FFFF_FFE0_0000UL;

    /// <summary>Bits 30..51: the physical address of a 1 GiB frame.</summary>
    public const ulong HugeAddressMask = 0x000F_FFFF_C000_0000UL;

    /// <summary>One past the highest physical address an entry can hold (MAXPHYADDR = 52).</summary>
    public const ulong PhysicalAddressLimit = 1UL << 52;

    /// <summary>
    /// The bits a caller's <see cref="PageFlags"/> may put into a leaf, in 4 KiB-PTE positions.
    /// Present, PS and the address are the mapper's business.
    /// </summary>
    public const ulong LeafFlagsMask = WritableBit | UserBit | WriteThroughBit | CacheDisableBit | AccessedBit
        | DirtyBit | PteAttributeBit | GlobalBit | NoExecuteBit | SoftwareMask;

    /// <summary>
    /// The leaf bits that exist only with a CPU feature: XD needs EFER.NXE (CPUID NX), PAT needs CPUID PAT,
    /// and G is honoured only with CR4.PGE. Without its feature XD or PAT is a reserved bit, and a present
    /// entry with a reserved bit set faults on every access (4.5; error code RSVD).
    /// </summary>
    public const ulong FeatureFlagsMask = GlobalBit | PteAttributeBit | NoExecuteBit;

    /// <summary>The attributes <c>Protect</c> replaces: access rights and memory type, not A/D state or marks.</summary>
    public const ulong ProtectionMask = WritableBit | UserBit | WriteThroughBit | CacheDisableBit | PteAttributeBit
        | GlobalBit | NoExecuteBit;

    public PageTableEntry(ulong value) => Value = value;

    /// <summary>The raw 64 bits as the CPU reads them.</summary>
    public ulong Value { get; }

    public bool IsEmpty => Value == 0;
    public bool IsPresent => (Value & PresentBit) != 0;
    public bool IsWritable => (Value & WritableBit) != 0;
    public bool IsUser => (Value & UserBit) != 0;
    public bool IsWriteThrough => (Value & WriteThroughBit) != 0;
    public bool IsCacheDisabled => (Value & CacheDisableBit) != 0;
    public bool IsAccessed => (Value & AccessedBit) != 0;
    public bool IsDirty => (Value & DirtyBit) != 0;

    /// <summary>PS: meaningful in a PDPTE or PDE only (a PTE's bit 7 is PAT).</summary>
    public bool IsHuge => (Value & HugeBit) != 0;
    public bool IsGlobal => (Value & GlobalBit) != 0;
    public bool IsNoExecute => (Value & NoExecuteBit) != 0;
    public bool IsUserHeapReserved => (Value & UserHeapReservedBit) != 0;
    public bool IsGuard => (Value & GuardBit) != 0;
    public bool IsPinned => (Value & PinnedBit) != 0;

    /// <summary>A non-present user-heap entry whose page lives in the page file (see <see cref="SwappedBit"/>).</summary>
    public bool IsSwapped => !IsPresent && (Value & SwappedBit) != 0;

    /// <summary>The page-file slot of a swapped entry.</summary>
    public ulong SwapSlot => (Value & AddressMask) >> 12;

    /// <summary>A non-present entry that carries a reservation mark (UHPAGE or guard).</summary>
    public bool IsReservation => !IsPresent && (Value & ReservationMask) != 0;

    /// <summary>The software marks (bits 9..11) as flags.</summary>
    public PageFlags Marks => (PageFlags)(Value & SoftwareMask);

    /// <summary>In an entry that references a table: how many entries of that table are non-zero.</summary>
    public uint EntryCount => (uint)((Value & EntryCountMask) >> EntryCountShift);

    /// <summary>Bits 12..51: the next-level table of a non-leaf entry, or the frame of a 4 KiB PTE.</summary>
    public ulong Address => Value & AddressMask;

    /// <summary>The physical address an entry that maps a page of <paramref name="size"/> points at.</summary>
    public ulong FrameAddress(PageSize size) => Value & FrameMask(size);

    /// <summary>True when the PAT bit is set; where it sits depends on whether the entry maps a 4 KiB page.</summary>
    public bool HasPat(PageSize size) => (Value & (size == PageSize.Size4KiB ? PteAttributeBit : LargeAttributeBit)) != 0;

    /// <summary>The caller-facing attributes of a leaf that maps a page of <paramref name="size"/>.</summary>
    public PageFlags LeafFlags(PageSize size)
    {
        ulong bits = Value & (LeafFlagsMask & ~PteAttributeBit);
        if (HasPat(size))
        {
            bits |= PteAttributeBit;
        }
        return (PageFlags)bits;
    }

    /// <summary>
    /// A present entry that maps <paramref name="frame"/> as a page of <paramref name="size"/>. The caller
    /// has checked that the frame is aligned to the size and below <see cref="PhysicalAddressLimit"/> and
    /// that <paramref name="flags"/> lies within <see cref="LeafFlagsMask"/>.
    /// </summary>
    public static PageTableEntry Leaf(ulong frame, PageFlags flags, PageSize size)
    {
        ulong bits = (ulong)flags & LeafFlagsMask;
        if (size != PageSize.Size4KiB)
        {
            // A large-page entry keeps PAT in bit 12, because bit 7 is PS there.
            bits = (bits & ~PteAttributeBit) | HugeBit | ((bits & PteAttributeBit) != 0 ? LargeAttributeBit : 0);
        }
        return new PageTableEntry(frame | bits | PresentBit);
    }

    /// <summary>
    /// A present entry that references the next-level table at <paramref name="table"/>. It is always
    /// writable and never no-execute, so that access rights are decided by the leaf alone (the CPU
    /// combines the rights of every level: 4.6); it carries U/S when a user page may lie below it.
    /// </summary>
    public static PageTableEntry Table(ulong table, bool user) => Table(table, user, 0);

    /// <summary>As <see cref="Table(ulong, bool)"/>, for a table holding <paramref name="entries"/> non-zero entries.</summary>
    public static PageTableEntry Table(ulong table, bool user, uint entries)
    {
        return new PageTableEntry(table | PresentBit | WritableBit | (user ? UserBit : 0) | ((ulong)entries << EntryCountShift));
    }

    /// <summary>The largest slot number a swapped entry can hold (40 bits).</summary>
    public const ulong MaximumSwapSlot = AddressMask >> 12;

    /// <summary>A non-present user-heap entry whose page is in page-file slot <paramref name="slot"/> (at most <see cref="MaximumSwapSlot"/>).</summary>
    public static PageTableEntry Swapped(ulong slot) => new PageTableEntry(UserHeapReservedBit | SwappedBit | ((slot << 12) & AddressMask));

    /// <summary>A non-present entry carrying only software marks (a subset of <see cref="ReservationMask"/>).</summary>
    public static PageTableEntry Reservation(PageFlags marks) => new PageTableEntry((ulong)marks & ReservationMask);

    /// <summary>The bits of the frame address of a page of <paramref name="size"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong FrameMask(PageSize size)
    {
        return size == PageSize.Size4KiB ? AddressMask : size == PageSize.Size2MiB ? LargeAddressMask : HugeAddressMask;
    }
}
