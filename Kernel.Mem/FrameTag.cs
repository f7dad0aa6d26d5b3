namespace Kernel.Mem;

/// <summary>
/// The word an owner may record in the frame allocator's entry for a frame it holds, as Linux keeps owner
/// data in struct page: the kernel heap records which of its pages a frame backs, so translating a
/// physical address back to the heap costs one lookup and no per-frame array of its own.
/// </summary>
/// <remarks>
/// A tag lives in the bits a free frame spends on its free-list links (two 28-bit links), which an
/// allocated frame does not use; that is why it is <see cref="Bits"/> wide and why freeing the frame
/// erases it.
/// </remarks>
public static class FrameTag
{
    /// <summary>A tag is a value below 2^56.</summary>
    public const int Bits = 56;

    public const ulong Mask = (1UL << Bits) - 1;

    /// <summary>What a frame carries from its allocation until an owner sets a tag.</summary>
    public const ulong None = 0;
}
