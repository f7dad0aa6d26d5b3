namespace Kernel.Mem.Physical;

/// <summary>
/// A half-open range [<see cref="Base"/>, <see cref="End"/>) of physical addresses and what it holds.
/// </summary>
public readonly struct MemoryRegion
{
    public MemoryRegion(ulong @base, ulong end, MemoryRegionKind kind)
    {
        Base = @base;
        End = end;
        Kind = kind;
    }

    public ulong Base { get; }

    /// <summary>The first address past the region.</summary>
    public ulong End { get; }

    public MemoryRegionKind Kind { get; }

    public ulong Length => End - Base;

    public bool IsUsable => Kind == MemoryRegionKind.Usable;

    /// <summary>A short lower-case name for listings such as the shell's <c>memmap</c> command.</summary>
    public string KindName => NameOf(Kind);

    public static string NameOf(MemoryRegionKind kind)
    {
        switch (kind)
        {
            case MemoryRegionKind.Usable:
                return "usable";
            case MemoryRegionKind.Reserved:
                return "reserved";
            case MemoryRegionKind.AcpiReclaimable:
                return "acpi reclaimable";
            case MemoryRegionKind.AcpiNvs:
                return "acpi nvs";
            case MemoryRegionKind.BadRam:
                return "bad ram";
            case MemoryRegionKind.LowMemory:
                return "low memory";
            case MemoryRegionKind.KernelImage:
                return "kernel image";
            case MemoryRegionKind.BootModule:
                return "boot module";
            case MemoryRegionKind.BootInformation:
                return "boot information";
            case MemoryRegionKind.FrameMetadata:
                return "frame metadata";
            default:
                return "unknown";
        }
    }
}
