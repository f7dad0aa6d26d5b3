namespace Kernel.Arch;

/// <summary>The CR4 bits the kernel sets or reads (Intel SDM Vol. 3A, 2.5).</summary>
internal static class Cr4
{
    /// <summary>PGE: global pages survive CR3 loads.</summary>
    public const ulong GlobalPages = 1UL << 7;

    /// <summary>SMEP: supervisor-mode instruction fetches from user pages fault.</summary>
    public const ulong Smep = 1UL << 20;

    /// <summary>SMAP: supervisor-mode data accesses to user pages fault unless RFLAGS.AC is set.</summary>
    public const ulong Smap = 1UL << 21;
}
