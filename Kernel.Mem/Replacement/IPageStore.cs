namespace Kernel.Mem.Replacement;

/// <summary>
/// Where evicted pages go: the page file. Slots of one page each are handed out and given back; a page is
/// written to its slot before its frame is reused and read back on the next fault. On the machine the
/// transfers are DMA to an IDE disk and block the calling thread until the disk's interrupt; in the host tests
/// a table of byte arrays that can be told to fail or to be full. Used through struct-constrained generics.
/// </summary>
public interface IPageStore
{
    /// <summary>Whether there is a page file at all; without one nothing is ever evicted.</summary>
    bool IsPresent { get; }

    /// <summary>
    /// At least half the slots are in use. A page read back then gives its slot up instead of keeping a clean
    /// copy there (it is written again if it is evicted again), as Linux frees swap cache once swap is half
    /// full: copies of resident pages must not crowd out the pages that have nowhere else to go.
    /// </summary>
    bool IsNearlyFull { get; }

    /// <summary>Takes a free slot; false when the page file is full.</summary>
    bool TryAllocateSlot(out ulong slot);

    /// <summary>Gives a slot back (its page was freed, or its process ended).</summary>
    void FreeSlot(ulong slot);

    /// <summary>Writes the 4 KiB frame at physical <paramref name="frame"/> to <paramref name="slot"/>.</summary>
    PageStoreStatus Write(ulong slot, ulong frame);

    /// <summary>Reads <paramref name="slot"/> into the 4 KiB frame at physical <paramref name="frame"/>.</summary>
    PageStoreStatus Read(ulong slot, ulong frame);
}
