using Kernel.Mem;
using Kernel.Mem.Physical;

namespace Kernel.Memory;

/// <summary>
/// Frames for page tables and heap pages. While the boot identity map (first 4 GiB) is the only way to
/// touch physical memory, frames come from DMA32 and below; once the direct map is live, from anywhere
/// (Normal first); single frames go through the frame allocator's cache. A rejected free is a kernel bug:
/// it is reported on the console, never absorbed. User memory takes its frames through
/// <see cref="MemoryManager.UserFrames"/>, which keeps a reserve of them for the kernel.
/// </summary>
internal sealed class KernelFrameSource : IFrameSource, IFreeFrameCount
{
    private readonly FrameAllocator<KernelPhysicalMemory> _frames;

    public KernelFrameSource(FrameAllocator<KernelPhysicalMemory> frames)
    {
        _frames = frames;
        HighestZone = ZoneId.Dma32;
    }

    public ZoneId HighestZone { get; set; }

    public MemoryLock Lock => _frames.Lock;

    public ulong FreeFrameCount => _frames.FreeFrames;

    public unsafe bool TryAllocateFrame(out ulong physical)
    {
        ulong frame;
        bool allocated = _frames.AllocateFrames(HighestZone, &frame, 1, FrameTag.None);
        physical = allocated ? frame : 0;
        return allocated;
    }

    public unsafe bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag) => _frames.AllocateFrames(HighestZone, frames, count, firstTag);

    public unsafe void FreeFrames(ulong* frames, ulong count)
    {
        if (_frames.FreeFrameList(frames, count) != 0)
        {
            Drivers.Console.Write("frames: rejected free of ");
            Drivers.Console.WriteHex(_frames.LastRejectedFree);
            Drivers.Console.WriteLine(" (not an allocated frame)");
        }
    }

    public unsafe void FreeFrame(ulong physical) => FreeFrames(&physical, 1);

    public bool TrySetFrameTag(ulong physical, ulong tag) => _frames.TrySetFrameTag(physical, tag);

    public bool TryGetFrameTag(ulong physical, out ulong tag) => _frames.TryGetFrameTag(physical, out tag);
}
