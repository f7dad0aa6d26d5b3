using System.Runtime.CompilerServices;

namespace Kernel.Mem.Heap;

/// <summary>
/// The <see cref="FrameTag"/> a kernel heap records for each frame that backs one of its pages, so that
/// translating the frame's physical address back to the heap is a lookup in the frame allocator's entry.
/// <code>
///  55..36   35..0
/// [ marker | virtual page number: bits 47..12 of the page's address ]
/// </code>
/// The marker tells a heap page from a frame some other owner tagged; the page number says which heap (heap
/// ranges do not overlap) and which page. Consecutive pages have consecutive tags, so a run of frames is
/// tagged from its first page's tag (<see cref="IFrameSource.TryAllocateFrames"/>). Mapped addresses are canonical 48-bit ones (four-level paging; the
/// mapper refuses any other), so the page number with bit 47 sign-extended gives the address back.
/// </summary>
public static class HeapFrameTag
{
    private const int PageNumberBits = 36;
    private const ulong PageNumberMask = (1UL << PageNumberBits) - 1;
    private const ulong MarkerMask = FrameTag.Mask & ~PageNumberMask;

    /// <summary>An arbitrary 20-bit pattern ("heap page"); no other owner in the kernel uses it.</summary>
    private const ulong Marker = 0x4E8A9UL << PageNumberBits;

    // Shifting bit 47 of an address up to bit 63 and back sign-extends it.
    private const int CanonicalShift = 64 - 48;

    /// <summary>The tag of the frame that backs the heap page at <paramref name="pageAddress"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Of(ulong pageAddress) => Marker | ((pageAddress >> MemConstants.PageShift) & PageNumberMask);

    /// <summary>
    /// When <paramref name="tag"/> carries the heap marker, the address of the heap page it names;
    /// the caller still checks that the page lies in its own range and maps that very frame.
    /// </summary>
    public static bool TryGetPage(ulong tag, out ulong pageAddress)
    {
        if ((tag & MarkerMask) != Marker)
        {
            pageAddress = 0;
            return false;
        }
        ulong address = (tag & PageNumberMask) << MemConstants.PageShift;
        pageAddress = (ulong)((long)(address << CanonicalShift) >> CanonicalShift);
        return true;
    }
}
