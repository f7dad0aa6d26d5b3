namespace Kernel.Mem.Heap;

/// <summary>The outcome of <see cref="KernelHeap{TMem, TTlb}.Create"/>; anything but <see cref="Ok"/> leaves no heap and writes nothing.</summary>
public enum KernelHeapCreateStatus
{
    Ok,

    /// <summary>The layout is not <see cref="KernelHeapLayout.IsValid"/>.</summary>
    InvalidLayout,

    /// <summary>The metadata memory is null or shorter than <c>MetadataBytes(layout)</c>.</summary>
    MetadataTooSmall,

    /// <summary>The metadata memory is not 8-byte aligned.</summary>
    MisalignedMetadata,

    /// <summary>The metadata memory overlaps the heap's own virtual range.</summary>
    MetadataInsideRange,

    /// <summary>The mapper and the frame source hold different memory manager locks.</summary>
    LockMismatch,
}
