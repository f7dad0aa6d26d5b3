namespace Kernel.Mem.Paging;

/// <summary>
/// Every entry a hardware walk of one virtual address reads, from the PML4E down to where it stops:
/// at a non-present entry, or at the entry that maps the page (a PTE, or a PDE/PDPTE with PS set).
/// Entries below the stopping level were not read and are empty. This is what <c>vm ADDR</c> prints.
/// </summary>
public readonly struct PageWalk
{
    public PageWalk(
        ulong virtualAddress,
        PageTableLevel stoppedAt,
        PageTableEntry pml4Entry,
        PageTableEntry pdptEntry,
        PageTableEntry pdEntry,
        PageTableEntry ptEntry)
    {
        VirtualAddress = virtualAddress;
        StoppedAt = stoppedAt;
        Pml4Entry = pml4Entry;
        PdptEntry = pdptEntry;
        PdEntry = pdEntry;
        PtEntry = ptEntry;
    }

    public ulong VirtualAddress { get; }

    /// <summary>The level of the last entry read.</summary>
    public PageTableLevel StoppedAt { get; }

    public PageTableEntry Pml4Entry { get; }
    public PageTableEntry PdptEntry { get; }
    public PageTableEntry PdEntry { get; }
    public PageTableEntry PtEntry { get; }

    /// <summary>The entry the walk stopped at.</summary>
    public PageTableEntry LastEntry => EntryAt(StoppedAt);

    /// <summary>True when the walk ended at a present entry, which then maps the page.</summary>
    public bool IsMapped => LastEntry.IsPresent;

    /// <summary>The size of the mapped page; meaningful only when <see cref="IsMapped"/>.</summary>
    public PageSize Size => (PageSize)StoppedAt;

    public PageTableEntry EntryAt(PageTableLevel level)
    {
        switch (level)
        {
            case PageTableLevel.Pml4:
                return Pml4Entry;
            case PageTableLevel.Pdpt:
                return PdptEntry;
            case PageTableLevel.PageDirectory:
                return PdEntry;
            default:
                return PtEntry;
        }
    }
}
