namespace Kernel.Memory;

/// <summary>
/// The kernel's virtual address layout (README, "Memory in the running kernel"). User space owns the
/// lower half; the kernel lives in the higher half:
/// <code>
/// 0xFFFF_8000_0000_0000  direct map of all physical memory (2 MiB pages, no-execute)
/// 0xFFFF_C000_0000_0000  kernel heap: block area, guard page, page area (mapped page by page)
/// 0xFFFF_D000_0000_0000  kernel heap metadata
/// 0xFFFF_D800_0000_0000  pebble allocator: virtual (not physically contiguous) buckets; buckets of
///                        physically contiguous runs are used through the direct map instead
/// 0xFFFF_E000_0000_0000  self-test scratch: a second kernel heap, its metadata, a scratch page
///                        (one 1 GiB region each, unmapped outside a running self-test)
/// 0xFFFF_E800_0000_0000  thread kernel stacks: 32 KiB slots, each 16 KiB of unmapped guard pages
///                        under a 16 KiB stack
/// 0xFFFF_F000_0000_0000  the framebuffer GRUB set up, when there is one (up to 1 GiB): uncached, no-execute
/// 0xFFFF_FFFF_8000_0000  kernel image (-2 GiB), W^X
/// </code>
/// </summary>
internal static class KernelLayout
{
    public const ulong DirectMapBase = 0xFFFF_8000_0000_0000;
    public const ulong KernelHeapBase = 0xFFFF_C000_0000_0000;
    public const ulong KernelHeapMaximumSize = 1UL << 30;
    public const ulong KernelHeapMetadataBase = 0xFFFF_D000_0000_0000;
    public const ulong KernelImageBase = 0xFFFF_FFFF_8000_0000;
    public const ulong PebbleVirtualBase = 0xFFFF_D800_0000_0000;
    public const ulong PebbleVirtualSize = 1UL << 30;

    // Each scratch range has a 1 GiB region (one page directory) to itself, so the page tables a
    // self-test creates there are exactly the ones it can count, and all go again when it unmaps.
    public const ulong SelfTestHeapBase = 0xFFFF_E000_0000_0000;
    public const ulong SelfTestHeapMetadataBase = 0xFFFF_E000_4000_0000;
    public const ulong SelfTestScratchPage = 0xFFFF_E000_8000_0000;

    public const ulong FramebufferBase = 0xFFFF_F000_0000_0000;
    public const ulong FramebufferMaximumSize = 1UL << 30;

    public const ulong ThreadStackBase = 0xFFFF_E800_0000_0000;
    public const ulong ThreadStackSlotSize = 32 * 1024;
    public const ulong ThreadStackSize = 16 * 1024;
    public const int ThreadStackSlots = 1024;

    public static bool IsKernelHeapAddress(ulong address) => address - KernelHeapBase < KernelHeapMaximumSize;

    /// <summary>Whether <paramref name="address"/> lies in the region of thread kernel stacks (stack or guard).</summary>
    public static bool IsThreadStackAddress(ulong address) => address - ThreadStackBase < ThreadStackSlotSize * ThreadStackSlots;

}
