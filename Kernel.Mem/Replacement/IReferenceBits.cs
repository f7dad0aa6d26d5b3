namespace Kernel.Mem.Replacement;

/// <summary>
/// The hardware's record of use a replacement policy reads: the accessed and dirty bits of a resident page.
/// On the machine these are the bits of the page's PTE, set by the CPU (clearing the accessed bit also drops
/// the page's cached translation, so the next access sets it again); in the host model, a table the model
/// updates as it replays references. Used through struct-constrained generics.
/// </summary>
public interface IReferenceBits
{
    /// <summary>Whether the page was accessed since its bit was last cleared; clears the bit.</summary>
    bool TestAndClearAccessed(ulong page);

    /// <summary>Whether the page was accessed since its bit was last cleared, without clearing it.</summary>
    bool IsAccessed(ulong page);

    /// <summary>Whether the page was written since it was loaded (its contents differ from its page-file slot, if any).</summary>
    bool IsDirty(ulong page);
}
