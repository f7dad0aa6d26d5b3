using Kernel.Mem.Replacement;

namespace Kernel.Memory;

/// <summary>
/// The page store of the running kernel: the page file's operations, registered at boot by the page-file
/// service (a layer above memory) once it has found a disk carrying the page-file signature. Until then, or
/// without such a disk, there is no page file: nothing is evicted and running out of frames ends the
/// faulting process.
/// </summary>
internal readonly unsafe struct KernelPageStore : IPageStore
{
    private static delegate*<out ulong, bool> s_allocate;
    private static delegate*<ulong, void> s_free;
    private static delegate*<ulong, ulong, PageStoreStatus> s_write;
    private static delegate*<ulong, ulong, PageStoreStatus> s_read;
    private static delegate*<bool> s_nearlyFull;

    /// <summary>Connects the page file (blocking transfers of one 4 KiB slot from or to a physical frame).</summary>
    public static void Register(delegate*<out ulong, bool> allocate, delegate*<ulong, void> free,
        delegate*<ulong, ulong, PageStoreStatus> write, delegate*<ulong, ulong, PageStoreStatus> read, delegate*<bool> nearlyFull)
    {
        s_nearlyFull = nearlyFull;
        s_allocate = allocate;
        s_free = free;
        s_write = write;
        s_read = read;
    }

    public static bool Available => s_allocate != null;

    public bool IsPresent => s_allocate != null;

    public bool IsNearlyFull => s_nearlyFull != null && s_nearlyFull();

    public bool TryAllocateSlot(out ulong slot)
    {
        slot = 0;
        return s_allocate != null && s_allocate(out slot);
    }

    public void FreeSlot(ulong slot)
    {
        if (s_free != null)
        {
            s_free(slot);
        }
    }

    public PageStoreStatus Write(ulong slot, ulong frame) => s_write != null ? s_write(slot, frame) : PageStoreStatus.BadSlot;

    public PageStoreStatus Read(ulong slot, ulong frame) => s_read != null ? s_read(slot, frame) : PageStoreStatus.BadSlot;
}
