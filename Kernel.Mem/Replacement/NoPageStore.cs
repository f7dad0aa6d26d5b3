namespace Kernel.Mem.Replacement;

/// <summary>The page store of a machine without a page file: nothing can be evicted, so nothing ever is.</summary>
public readonly struct NoPageStore : IPageStore
{
    public bool IsPresent => false;

    public bool IsNearlyFull => false;

    public bool TryAllocateSlot(out ulong slot)
    {
        slot = 0;
        return false;
    }

    public void FreeSlot(ulong slot)
    {
    }

    public PageStoreStatus Write(ulong slot, ulong frame) => PageStoreStatus.BadSlot;

    public PageStoreStatus Read(ulong slot, ulong frame) => PageStoreStatus.BadSlot;
}
