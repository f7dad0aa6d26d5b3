namespace Kernel.Mem.Heap;

/// <summary>
/// The page allocator's boundary tag, one 32-bit word per page of its area: the top two bits say what
/// the page is, the next one whether an allocation has ever started at it, the low 29 bits hold a size in
/// pages where the kind has one.
/// </summary>
internal static class PageTag
{
    public const uint KindMask = 0xC000_0000;
    public const uint SizeMask = 0x1FFF_FFFF;

    /// <summary>
    /// Set on the first page of every allocation and never cleared: whatever the page is now, an allocation
    /// started there once. A free of a page that starts nothing live is a double free when the page has it, and
    /// of a page that was never handed out as an allocation's start when it has not.
    /// </summary>
    public const uint Started = 0x2000_0000;

    /// <summary>The kind and the size: the tag without <see cref="Started"/>.</summary>
    public const uint KindAndSizeMask = KindMask | SizeMask;

    /// <summary>Above the break, or inside a hole.</summary>
    public const uint Free = 0;

    /// <summary>A page of an allocation other than its first.</summary>
    public const uint AllocationInterior = 0x4000_0000;

    /// <summary>The first page of an allocation, with the allocation's size.</summary>
    public const uint AllocationStart = 0x8000_0000;

    /// <summary>The first and the last page of a hole, with the hole's size.</summary>
    public const uint HoleBoundary = 0xC000_0000;

    /// <summary>The largest size a tag can hold, and so the largest page area.</summary>
    public const uint MaximumSize = SizeMask;
}
