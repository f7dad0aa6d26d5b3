namespace Kernel.Mem.Heap;

/// <summary>
/// A snapshot of one size class of the block allocator. Blocks count whole blocks of the class's size; a
/// page counts for the class that carved it until its last block is freed and it goes back to the backing.
/// A block borrowed for a smaller request counts in the class that served it.
/// </summary>
public struct BlockClassStatistics
{
    /// <summary>The class's block size; 0 for an index outside the classes (then every figure is 0).</summary>
    public ulong BlockSize;

    /// <summary>Blocks a page of the class holds: the page size over the block size.</summary>
    public ulong BlocksPerPage;

    /// <summary>Backed pages currently carved for the class.</summary>
    public ulong Pages;

    /// <summary>Free blocks on the class's pages, including those not yet carved off the page's tail.</summary>
    public ulong FreeBlocks;

    /// <summary>Blocks of the class handed out: <see cref="Pages"/> times <see cref="BlocksPerPage"/> less <see cref="FreeBlocks"/>.</summary>
    public ulong BlocksInUse;

    public ulong BytesInUse => BlocksInUse * BlockSize;
    public ulong BytesFree => FreeBlocks * BlockSize;
}
