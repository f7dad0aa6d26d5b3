using System;

namespace Kernel.Mem.Paging;

/// <summary>
/// The caller-facing attributes of a mapping. Each value is the bit it occupies in a 4 KiB PTE
/// (Intel SDM Vol. 3A, 4.5, Table 4-20), so converting to and from an entry is a mask; only
/// <see cref="Pat"/> moves, to bit 12, in a 2 MiB or 1 GiB entry (Tables 4-18 and 4-16).
/// Present is not a flag: a mapping is present by definition, a reservation never is.
/// </summary>
[Flags]
public enum PageFlags : ulong
{
    None = 0,

    /// <summary>Writes allowed (R/W, bit 1). Supervisor writes ignore it unless CR0.WP is set.</summary>
    Writable = PageTableEntry.WritableBit,

    /// <summary>Ring 3 may access the page (U/S, bit 2). Must also be set on every entry above it, which the mapper does.</summary>
    User = PageTableEntry.UserBit,

    /// <summary>Write-through caching (PWT, bit 3): with PCD and PAT, selects the PAT entry.</summary>
    WriteThrough = PageTableEntry.WriteThroughBit,

    /// <summary>Caching disabled (PCD, bit 4): for memory-mapped device registers.</summary>
    CacheDisable = PageTableEntry.CacheDisableBit,

    /// <summary>Set by the CPU on any access (A, bit 5); the replacement policy's reference bit.</summary>
    Accessed = PageTableEntry.AccessedBit,

    /// <summary>Set by the CPU on a write (D, bit 6); a dirty page must be written to the page file before eviction.</summary>
    Dirty = PageTableEntry.DirtyBit,

    /// <summary>Third bit of the PAT index (bit 7 of a PTE; bit 12 of a large-page entry).</summary>
    Pat = PageTableEntry.PteAttributeBit,

    /// <summary>The translation survives CR3 reloads (G, bit 8; honoured only with CR4.PGE). For kernel-half pages only.</summary>
    Global = PageTableEntry.GlobalBit,

    /// <summary>Software: a user-heap page ("UHPAGE"), reserved by a system call and backed on first touch.</summary>
    UserHeapReserved = PageTableEntry.UserHeapReservedBit,

    /// <summary>Software: a guard page (below a stack, between heap areas); never mapped, a fault on it is an overflow.</summary>
    Guard = PageTableEntry.GuardBit,

    /// <summary>Software: a present page the replacement policy must never evict (DMA buffers, page-file I/O).</summary>
    Pinned = PageTableEntry.PinnedBit,

    /// <summary>Instruction fetches fault (XD, bit 63). Needs EFER.NXE; without it bit 63 is reserved and faults.</summary>
    NoExecute = PageTableEntry.NoExecuteBit,
}
