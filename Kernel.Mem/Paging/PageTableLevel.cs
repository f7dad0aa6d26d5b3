namespace Kernel.Mem.Paging;

/// <summary>
/// The four levels of x86-64 paging, numbered as Intel numbers them: the root (PML4) is level 4 and
/// the last table (PT) level 1. A level's entries each cover 2^(12 + 9 * (level - 1)) bytes.
/// </summary>
public enum PageTableLevel
{
    /// <summary>Page table: its PTEs map 4 KiB pages.</summary>
    PageTable = 1,

    /// <summary>Page directory: its PDEs reference page tables or map 2 MiB pages.</summary>
    PageDirectory = 2,

    /// <summary>Page-directory-pointer table: its PDPTEs reference page directories or map 1 GiB pages.</summary>
    Pdpt = 3,

    /// <summary>The root table, whose physical address is CR3: its PML4Es reference PDPTs.</summary>
    Pml4 = 4,
}
