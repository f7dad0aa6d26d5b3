using Kernel.Mem;
using Kernel.Mem.Physical;

namespace Kernel.Memory
{
    /// <summary>
    /// Buffers for device DMA: physically contiguous, below a device's address limit, aligned, and not
    /// crossing a given power-of-two boundary (the 8237's 64 KiB page, an IDE PRD's 64 KiB region).
    /// Drivers see only this interface.
    /// </summary>
    /// <remarks>
    /// PLACEHOLDER BODY: the bucket/pebble allocator (Kernel.Mem/Pebble) replaces the bodies of
    /// <see cref="Allocate"/> and <see cref="Free"/>; the signatures stay as they are. Until then each
    /// buffer is a run of whole frames from the buddy allocator (FreeBSD contigmalloc style), so even a
    /// 512-byte buffer costs a frame, and the name is not recorded.
    /// </remarks>
    internal static unsafe class DmaBuffers
    {
        /// <summary>
        /// Allocates <paramref name="size"/> bytes starting on a multiple of <paramref name="alignment"/>
        /// (a power of two; 0 for none), not crossing a multiple of <paramref name="boundary"/> (a power of
        /// two at least <paramref name="size"/>; 0 for none), wholly below <paramref name="limit"/>.
        /// Returns an invalid buffer (<see cref="DmaBuffer.IsValid"/> false) when the request cannot be met.
        /// <paramref name="name"/> says who owns the buffer, for statistics and leak reports.
        /// </summary>
        public static DmaBuffer Allocate(ulong size, ulong alignment, ulong boundary, DmaConstraint limit, string name)
        {
            DmaBuffer buffer = default;
            if (size == 0 || !MemoryManager.IsReady)
            {
                return buffer;
            }
            ulong frames = MemConstants.AlignUp(size, MemConstants.PageSize) / MemConstants.PageSize;
            // A frame run is page aligned and, as a buddy carving, never crosses a boundary of its own size;
            // a smaller boundary the allocator would refuse is met by every single-frame buffer anyway.
            if (boundary != 0 && boundary < MemConstants.PageSize && frames == 1 && size <= boundary)
            {
                boundary = 0;
            }
            FrameAllocationStatus status = MemoryManager.Frames.AllocateRun(frames, alignment, 0, HighestEnd(limit), boundary, out ulong physical);
            if (status != FrameAllocationStatus.Ok)
            {
                return buffer;
            }
            buffer.Physical = physical;
            buffer.Virtual = (byte*)PhysicalMemory.ToVirtual(physical);
            buffer.Size = size;
            return buffer;
        }

        /// <summary>Returns a buffer from <see cref="Allocate"/>; an invalid buffer is ignored.</summary>
        public static void Free(DmaBuffer buffer)
        {
            if (!buffer.IsValid)
            {
                return;
            }
            ulong frames = MemConstants.AlignUp(buffer.Size, MemConstants.PageSize) / MemConstants.PageSize;
            FrameFreeStatus status = MemoryManager.Frames.FreeRun(buffer.Physical, frames);
            if (status != FrameFreeStatus.Ok)
            {
                Drivers.Console.Write("dma: rejected free of ");
                Drivers.Console.WriteHex(buffer.Physical);
                Drivers.Console.WriteLine(" (not an allocated DMA buffer)");
            }
        }

        /// <summary>The exclusive end of the physical range a device under <paramref name="limit"/> reaches.</summary>
        private static ulong HighestEnd(DmaConstraint limit)
        {
            switch (limit)
            {
                case DmaConstraint.Below16MiB:
                    return Zone.DmaEnd;
                case DmaConstraint.Below4GiB:
                    return Zone.Dma32End;
                default:
                    return FrameAllocator<KernelPhysicalMemory>.NoLimit;
            }
        }
    }
}
