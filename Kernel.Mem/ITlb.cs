namespace Kernel.Mem;

/// <summary>
/// The translation lookaside buffer. Every page-table change that can leave a stale translation behind
/// reports it here: on the machine <c>invlpg</c> / a CR3 reload, on the host a recorder the tests inspect.
/// </summary>
public interface ITlb
{
    /// <summary>Drops any cached translation of the page that contains <paramref name="virtualAddress"/>.</summary>
    void Invalidate(ulong virtualAddress);

    /// <summary>Drops every non-global cached translation.</summary>
    void InvalidateAll();
}
