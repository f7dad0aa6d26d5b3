namespace Kernel.Mem.Heap;

/// <summary>Where a page of the block area is in its life.</summary>
internal enum BlockPageState : byte
{
    /// <summary>Above the area's break: never used, not backed.</summary>
    Unused,

    /// <summary>Returned after its last block was freed: not backed, on the stack of returned pages.</summary>
    Returned,

    /// <summary>Backed and carved into blocks of one class.</summary>
    Carved,
}
