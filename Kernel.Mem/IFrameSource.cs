namespace Kernel.Mem;

/// <summary>
/// Where the mapper and the kernel heap obtain single 4 KiB frames (for page tables and heap pages) and
/// where they return them. The frame allocator implements it; tests may substitute a failing source to
/// prove that exhaustion mid-operation leaves nothing half done.
/// </summary>
public interface IFrameSource
{
    /// <summary>Allocates one frame; returns false, leaving <paramref name="physical"/> 0, when none is left.</summary>
    bool TryAllocateFrame(out ulong physical);

    /// <summary>Returns a frame obtained from <see cref="TryAllocateFrame"/>.</summary>
    void FreeFrame(ulong physical);
}
