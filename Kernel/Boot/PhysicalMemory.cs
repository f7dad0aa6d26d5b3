namespace Kernel.Boot;

/// <summary>
/// How the kernel reaches a physical address. Until the memory manager switches to its own page tables
/// the boot stub's identity map of the first 4 GiB is the view (offset 0); afterwards every physical
/// address is reached through the direct map the memory manager names in <see cref="UseDirectMap"/>. It
/// lives in the boot layer, below every user of it, because the identity map is boot.asm's.
/// </summary>
internal static class PhysicalMemory
{
    /// <summary>The end of the boot stub's identity map (boot.asm): all that is reachable before <see cref="UseDirectMap"/>.</summary>
    public const ulong BootIdentityMapEnd = 4 * Mem.MemConstants.GiB;

    private static ulong s_offset;

    public static ulong ToVirtual(ulong physical) => physical + s_offset;

    /// <summary>Called once, right after CR3 holds the kernel's own tables, with the direct map's base.</summary>
    public static void UseDirectMap(ulong directMapBase) => s_offset = directMapBase;
}
