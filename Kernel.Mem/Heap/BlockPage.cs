namespace Kernel.Mem.Heap;

/// <summary>
/// The block allocator's record of one page of its area (16 bytes). The blocks' own free list lives
/// inside the free blocks as 16-bit in-page offsets, so the record needs no pointer.
/// </summary>
internal struct BlockPage
{
    /// <summary>Next page in the same class list (pages with a free block) or on the stack of returned pages.</summary>
    public uint Next;

    /// <summary>Previous page in the class list, so a page leaves its list in O(1).</summary>
    public uint Previous;

    /// <summary>In-page offset of the first block on the page's free list, or the end-of-list mark.</summary>
    public ushort FreeHead;

    /// <summary>
    /// In-page offset of the first block never handed out. Blocks are carved lazily from here, which has
    /// the same effect as carving the whole page at once but keeps taking a fresh page O(1).
    /// </summary>
    public ushort Carved;

    /// <summary>Blocks free on the page, carved or not.</summary>
    public ushort FreeBlocks;

    /// <summary>Size class: the block size is <c>MinimumBlockSize &lt;&lt; Class</c>.</summary>
    public byte Class;

    public BlockPageState State;
}
