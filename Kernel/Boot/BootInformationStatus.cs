namespace Kernel.Boot;

/// <summary>Whether the multiboot2 boot information could be read at all (<see cref="BootInformation.Parse"/>).</summary>
internal enum BootInformationStatus
{
    Ok,

    /// <summary>The structure is not 8-byte aligned, as the multiboot2 specification (3.6) requires.</summary>
    Misaligned,

    /// <summary>The total size is smaller than the 8-byte header.</summary>
    TotalSizeTooSmall,

    /// <summary>The total size runs past the memory the kernel can read there.</summary>
    TotalSizeBeyondMemory,
}
