using Kernel.Mem.Pebble;

namespace Kernel.Memory;

/// <summary>
/// Buffers for device DMA: physically contiguous, below a device's address limit, aligned, and not
/// crossing a given power-of-two boundary (the 8237's 64 KiB page, an IDE PRD's 64 KiB region).
/// Drivers see only this interface; the memory comes from the bucket/pebble allocator, which checks
/// every constraint on physical addresses and records the buffer's name and owner for the `dma` dump.
/// </summary>
internal static unsafe class DmaBuffers
{
    /// <summary>The task id that owns driver buffers (the kernel itself; there are no other tasks yet).</summary>
    public const uint KernelOwner = 0;

    /// <summary>
    /// Allocates <paramref name="size"/> bytes starting on a multiple of <paramref name="alignment"/>
    /// (a power of two; 0 for the allocator's 64-byte minimum), not crossing a multiple of
    /// <paramref name="boundary"/> (a power of two at least <paramref name="size"/>; 0 for none), wholly
    /// below <paramref name="limit"/>, zeroed so no stale kernel data reaches a device. Returns an invalid
    /// buffer (<see cref="DmaBuffer.IsValid"/> false) when the request cannot be met.
    /// </summary>
    public static DmaBuffer Allocate(ulong size, ulong alignment, ulong boundary, DmaConstraint limit, string name)
        => Allocate(size, alignment, boundary, limit, name, PebbleFlags.None);

    /// <summary>
    /// As <see cref="Allocate(ulong, ulong, ulong, DmaConstraint, string)"/>, for a buffer a driver keeps for
    /// its device's lifetime: it goes to a persistent bucket, which short-lived buffers never share and which
    /// is kept even when empty, so a long-lived buffer never pins a bucket transient ones come and go in.
    /// </summary>
    public static DmaBuffer AllocatePersistent(ulong size, ulong alignment, ulong boundary, DmaConstraint limit, string name)
        => Allocate(size, alignment, boundary, limit, name, PebbleFlags.Persistent);

    private static DmaBuffer Allocate(ulong size, ulong alignment, ulong boundary, DmaConstraint limit, string name, PebbleFlags lifetime)
    {
        DmaBuffer buffer = default;
        if (size == 0 || !MemoryManager.IsReady)
        {
            return buffer;
        }
        PebbleFlags flags = PebbleFlags.Physical | PebbleFlags.Clear | LimitFlag(limit) | lifetime;
        if (MemoryManager.Pebbles.TryAllocate(size, alignment, boundary, flags, name, KernelOwner, out void* pebble) != PebbleStatus.Ok)
        {
            return buffer;
        }
        buffer.Virtual = (byte*)pebble;
        buffer.Physical = MemoryManager.Pebbles.PhysicalAddress(pebble);
        buffer.Size = size;
        return buffer;
    }

    /// <summary>Returns a buffer from <see cref="Allocate"/>; an invalid buffer is ignored, a bad one reported.</summary>
    public static void Free(DmaBuffer buffer)
    {
        if (!buffer.IsValid)
        {
            return;
        }
        PebbleStatus status = MemoryManager.Pebbles.Free(buffer.Virtual, KernelOwner);
        if (status != PebbleStatus.Ok)
        {
            Drivers.Console.Write("dma: rejected free of ");
            Drivers.Console.WriteHex((ulong)buffer.Virtual);
            Drivers.Console.Write(": ");
            Drivers.Console.WriteLine(PebbleReport.Describe(status));
        }
    }

    private static PebbleFlags LimitFlag(DmaConstraint limit)
    {
        switch (limit)
        {
            case DmaConstraint.Below16MiB:
                return PebbleFlags.Below16MiB;
            case DmaConstraint.Below4GiB:
                return PebbleFlags.Below4GiB;
            default:
                return PebbleFlags.Anywhere;
        }
    }
}
