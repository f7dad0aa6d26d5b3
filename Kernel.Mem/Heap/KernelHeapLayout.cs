namespace Kernel.Mem.Heap;

/// <summary>
/// Where the kernel heap's areas lie in its virtual range, as in FOS: the block area at the start, one
/// unmapped guard page, then the page area whose break grows from its start up to the end of the range.
/// The guard page keeps an overrun of the last block page from landing in a page allocation.
/// </summary>
public readonly struct KernelHeapLayout
{
    /// <summary>FOS caps the block area at 32 MiB.</summary>
    public const ulong MaximumBlockAreaSize = 32 * MemConstants.MiB;

    public const ulong GuardSize = MemConstants.PageSize;

    /// <summary>
    /// Lays out the range [<paramref name="virtualBase"/>, <paramref name="virtualBase"/> + <paramref name="size"/>)
    /// with a block area of <paramref name="blockAreaSize"/> (rounded down to pages, capped at
    /// <see cref="MaximumBlockAreaSize"/>). Nothing in the layout depends on the amount of RAM.
    /// </summary>
    public KernelHeapLayout(ulong virtualBase, ulong size, ulong blockAreaSize)
    {
        Start = virtualBase;
        Size = MemConstants.AlignDown(size, MemConstants.PageSize);
        ulong blocks = MemConstants.AlignDown(blockAreaSize, MemConstants.PageSize);
        if (blocks > MaximumBlockAreaSize)
        {
            blocks = MaximumBlockAreaSize;
        }
        BlockAreaSize = blocks;
    }

    public ulong Start { get; }
    public ulong Size { get; }
    public ulong End => Start + Size;
    public ulong BlockAreaStart => Start;
    public ulong BlockAreaSize { get; }
    public ulong GuardPage => Start + BlockAreaSize;
    public ulong PageAreaStart => GuardPage + GuardSize;
    public ulong PageAreaSize => Size > BlockAreaSize + GuardSize ? Size - BlockAreaSize - GuardSize : 0;

    public uint BlockAreaPages => (uint)(BlockAreaSize >> MemConstants.PageShift);
    public uint PageAreaPages => (uint)(PageAreaSize >> MemConstants.PageShift);
    public ulong RangePages => Size >> MemConstants.PageShift;

    /// <summary>
    /// True when the range is page-aligned, not at 0, does not wrap, has room for a block area and a page
    /// area of at least a page each, and fits the allocators' and translations' limits.
    /// </summary>
    public bool IsValid =>
        Start != 0
        && MemConstants.IsAligned(Start, MemConstants.PageSize)
        && End > Start
        && BlockAreaSize != 0
        && PageAreaSize != 0
        && (PageAreaSize >> MemConstants.PageShift) <= PageTag.MaximumSize
        && RangePages < uint.MaxValue;
}
