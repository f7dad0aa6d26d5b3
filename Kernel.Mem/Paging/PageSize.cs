namespace Kernel.Mem.Paging;

/// <summary>
/// The sizes of page the 4-level hierarchy can map. The value is the level of the entry that maps such a
/// page (see <see cref="PageTableLevel"/>): a 4 KiB page is a PTE, a 2 MiB page a PDE with PS set, a
/// 1 GiB page a PDPTE with PS set (only on CPUs that report CPUID.80000001H:EDX.Page1GB).
/// </summary>
public enum PageSize
{
    Size4KiB = 1,
    Size2MiB = 2,
    Size1GiB = 3,
}
