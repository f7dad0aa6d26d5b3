namespace Kernel.Mem.Physical;

/// <summary>
/// What a range of physical memory holds. Values 1 to 5 are the multiboot2 memory-map entry types
/// (Multiboot2 specification, 3.6.8); the values from 16 up label ranges the kernel itself takes out of
/// usable memory (carve-outs).
/// </summary>
public enum MemoryRegionKind : byte
{
    /// <summary>RAM the frame allocator may hand out.</summary>
    Usable = 1,

    /// <summary>Firmware-reserved; also every entry type this kernel does not know.</summary>
    Reserved = 2,

    /// <summary>Holds ACPI tables; becomes usable only once the tables have been read.</summary>
    AcpiReclaimable = 3,

    /// <summary>ACPI non-volatile storage: must be preserved across sleep states.</summary>
    AcpiNvs = 4,

    /// <summary>Defective RAM reported by the firmware.</summary>
    BadRam = 5,

    /// <summary>
    /// The first MiB: real-mode interrupt vectors, BIOS data area, EBDA, legacy video memory and option
    /// ROMs live there, and ISA devices expect their buffers in it.
    /// </summary>
    LowMemory = 16,

    /// <summary>The loaded kernel image (text, data, bss).</summary>
    KernelImage = 17,

    /// <summary>A module GRUB loaded next to the kernel (an initrd, a user program).</summary>
    BootModule = 18,

    /// <summary>The multiboot2 boot-information structure, until the kernel has copied what it needs.</summary>
    BootInformation = 19,

    /// <summary>The frame allocator's per-frame metadata (its mem_map).</summary>
    FrameMetadata = 20,
}
