namespace Kernel.Mem.User;

/// <summary>
/// The lower half as every process sees it (the upper half is the kernel's, shared by all). The numbers
/// of the heap are FOS'25's, so that its expectations about addresses carry over:
/// <code>
/// 0x0000_0000_0000_0000  never mapped: null references (and small offsets from null) fault
/// 0x0000_0000_0001_0000  program image: the ELF's PT_LOAD segments (text r-x, rodata r--, data rw- NX),
///                        usually linked at 0x0000_0000_0040_0000
/// 0x0000_0000_8000_0000  user heap, up to 0xA000_0000: the block area (first 32 MiB), a guard page,
///                        then the page allocator from 0x8200_1000 with its break
/// 0x0000_0000_A000_0000  the runtime's region (4 MiB): objects made before the heap is up, then the heap's
///                        metadata; reserved by the kernel at spawn and, like heap pages, backed on first touch
/// 0x0000_7FFF_FFFE_F000  user stack guard page (never mapped: touching it is a stack overflow)
/// 0x0000_7FFF_FFFF_0000  user stack (64 KiB, growing down), argc/argv at its top
/// 0x0000_7FFF_FFFF_F000  last page of the lower half, never mapped
/// </code>
/// This file is compiled into the kernel and into the user runtime.
/// </summary>
public static class UserLayout
{
    /// <summary>Nothing is ever mapped below this (as Linux's default mmap_min_addr).</summary>
    public const ulong LowestAddress = 0x0000_0000_0001_0000;

    /// <summary>Program images must lie below the heap.</summary>
    public const ulong ImageEnd = HeapBase;

    public const ulong HeapBase = 0x0000_0000_8000_0000;
    public const ulong HeapEnd = 0x0000_0000_A000_0000;

    /// <summary>The block allocator's area: the first 32 MiB of the heap (FOS's KERNEL_HEAP_BLOCKS analogue).</summary>
    public const ulong BlockAreaSize = 32 * MemConstants.MiB;

    /// <summary>Pages of the block area (8192).</summary>
    public const uint BlockAreaPages = (uint)(BlockAreaSize / MemConstants.PageSize);

    /// <summary>Pages of the page area, from <see cref="PageAreaBase"/> to the end of the heap (122,879).</summary>
    public const uint PageAreaPages = (uint)((HeapEnd - PageAreaBase) / MemConstants.PageSize);

    /// <summary>
    /// The runtime's region, right above the heap: the kernel reserves it at spawn (no frame), and each page is
    /// backed on first touch, so the heap's metadata costs a process only the pages it really uses.
    /// </summary>
    public const ulong RuntimeRegionBase = HeapEnd;

    public const ulong RuntimeRegionSize = 4 * MemConstants.MiB;

    /// <summary>The first part of the runtime region: objects the runtime makes before its heap exists.</summary>
    public const ulong RuntimeObjectsSize = 64 * MemConstants.KiB;

    /// <summary>The heap's metadata (block and page allocators) follows the runtime's early objects.</summary>
    public const ulong HeapMetadataBase = RuntimeRegionBase + RuntimeObjectsSize;

    public const ulong HeapMetadataSize = RuntimeRegionSize - RuntimeObjectsSize;

    /// <summary>The page allocator starts one guard page above the block area (0x8200_1000).</summary>
    public const ulong PageAreaBase = HeapBase + BlockAreaSize + MemConstants.PageSize;

    /// <summary>One past the highest byte of the stack; the page above it stays unmapped.</summary>
    public const ulong StackTop = 0x0000_7FFF_FFFF_F000;

    public const ulong StackSize = 64 * MemConstants.KiB;

    public const ulong StackBottom = StackTop - StackSize;

    /// <summary>The page under the stack, reserved as a guard so that an overflow faults and is named.</summary>
    public const ulong StackGuard = StackBottom - MemConstants.PageSize;

    /// <summary>One past the highest user address: the end of the lower half.</summary>
    public const ulong End = 0x0000_8000_0000_0000;

    /// <summary>Whether [<paramref name="address"/>, + <paramref name="length"/>) lies inside user space without wrapping.</summary>
    public static bool IsUserRange(ulong address, ulong length)
    {
        return address >= LowestAddress && address <= End && length <= End - address;
    }

    public static bool IsHeapRange(ulong address, ulong length)
    {
        return address >= HeapBase && address <= HeapEnd && length <= HeapEnd - address;
    }
}
