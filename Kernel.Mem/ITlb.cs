namespace Kernel.Mem;

/// <summary>
/// The translation lookaside buffer. Every page-table change that can leave a stale translation behind
/// reports it here, naming the address space it happened in (the physical address of its PML4, what CR3
/// holds while it runs): on the machine that is <c>invlpg</c> or a CR3 reload when the change concerns the
/// address space the CPU is running on (or the kernel half, which every address space shares), and nothing
/// otherwise, since a CR3 switch flushes the non-global translations of the space left behind; on the host
/// it is a recorder the tests inspect.
/// </summary>
public interface ITlb
{
    /// <summary>Drops any cached translation of the page that contains <paramref name="virtualAddress"/> in the address space at <paramref name="rootTable"/>.</summary>
    void Invalidate(ulong rootTable, ulong virtualAddress);

    /// <summary>Drops every non-global cached translation of the address space at <paramref name="rootTable"/>.</summary>
    void InvalidateAll(ulong rootTable);
}
