namespace Kernel.Mem.Heap;

/// <summary>
/// The bytes the heap writes over memory when scrubbing is on (SerenityOS's values): a read of
/// uninitialised memory shows 0xAB, a use after free shows 0xDE, both easy to spot in a dump.
/// </summary>
public static class HeapScrub
{
    public const byte OnAllocation = 0xAB;
    public const byte OnFree = 0xDE;
}
