namespace Kernel.Memory;

/// <summary>
/// A physically contiguous buffer a device may read or write by DMA: the kernel's view of it
/// (<see cref="Virtual"/>, through the direct map) and the device's (<see cref="Physical"/>).
/// The default value is the "no buffer" answer of a failed allocation.
/// </summary>
internal unsafe struct DmaBuffer
{
    public byte* Virtual;
    public ulong Physical;
    public ulong Size;

    public bool IsValid => Virtual != null;
}
