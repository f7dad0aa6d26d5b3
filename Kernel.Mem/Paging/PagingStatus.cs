namespace Kernel.Mem.Paging;

/// <summary>The outcome of a <see cref="Mapper{TMem, TTlb}"/> operation. Every failure leaves the page tables as they were.</summary>
public enum PagingStatus
{
    Success = 0,

    /// <summary>Bits 63..47 of the virtual address are not all equal (or a range crosses the canonical hole).</summary>
    NonCanonicalAddress,

    /// <summary>A <see cref="PageSize"/> value outside the enumeration.</summary>
    InvalidPageSize,

    /// <summary>The virtual address is not aligned to the page size of the operation.</summary>
    MisalignedVirtualAddress,

    /// <summary>The physical address is not aligned to the page size of the operation.</summary>
    MisalignedPhysicalAddress,

    /// <summary>The physical address does not fit the 40-bit frame field (bits 12..51) of an entry.</summary>
    PhysicalAddressOutOfRange,

    /// <summary>The flags hold bits the operation does not accept (see the operation's documentation).</summary>
    InvalidFlags,

    /// <summary>A present mapping is in the way: map or reserve over a mapping, or unreserve of a mapped page.</summary>
    AlreadyMapped,

    /// <summary>Nothing is mapped there: unmap, protect or translate of a non-present entry.</summary>
    NotMapped,

    /// <summary>
    /// The operation's page size disagrees with what is there: a 4 KiB operation inside a 2 MiB (or 1 GiB)
    /// page, or a large-page operation where a lower-level table holds smaller pages or reservations.
    /// </summary>
    PageSizeConflict,

    /// <summary>The entry is already reserved (or is a guard page, which must never be mapped).</summary>
    AlreadyReserved,

    /// <summary>Unreserve of an entry that carries no reservation mark.</summary>
    NotReserved,

    /// <summary>The frame source ran dry while creating page tables; nothing was changed.</summary>
    OutOfFrames,

    /// <summary>A range whose length overflows the address space.</summary>
    InvalidRange,
}
