using Kernel.Mem;
using Kernel.Mem.Physical;

namespace Kernel.Memory
{
    /// <summary>
    /// Frames for page tables and heap pages. While the boot identity map (first 4 GiB) is the only way to
    /// touch physical memory, frames come from DMA32 and below; once the direct map is live, from anywhere
    /// (Normal first). A rejected free is a kernel bug: it is reported on the console, never absorbed. User
    /// memory takes its frames through <see cref="MemoryManager.UserFrames"/>, which keeps a reserve of them
    /// for the kernel.
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

        public ulong FreeFrames => _frames.FreeFrames;

        public bool TryAllocateFrame(out ulong physical) => _frames.Allocate(HighestZone, out physical);

        public void FreeFrame(ulong physical)
        {
            FrameFreeStatus status = _frames.Free(physical);
            if (status != FrameFreeStatus.Ok)
            {
                Drivers.Console.Write("frames: rejected free of ");
                Drivers.Console.WriteHex(physical);
                Drivers.Console.WriteLine(" (not an allocated frame)");
            }
        }

        public bool TrySetFrameTag(ulong physical, ulong tag) => _frames.TrySetFrameTag(physical, tag);

        public bool TryGetFrameTag(ulong physical, out ulong tag) => _frames.TryGetFrameTag(physical, out tag);
    }
}
