namespace Kernel.Boot;

/// <summary>A malformed tag in the boot information; the tag (or, when it cannot be stepped over, the rest) is skipped.</summary>
internal enum BootInformationProblemKind
{
    /// <summary>A tag's size is smaller than its 8-byte header: the next tag cannot be found, parsing stops.</summary>
    TagSmallerThanHeader,

    /// <summary>A tag runs past the total size: parsing stops.</summary>
    TagPastEnd,

    /// <summary>A tag is too short for the fixed fields of its type.</summary>
    TagTooShort,

    /// <summary>A memory map's entry size is 0, smaller than an entry (24 bytes) or not a multiple of 8.</summary>
    BadMemoryMapEntrySize,

    /// <summary>A memory map's entries do not fill the tag: the whole entries are used, the rest ignored.</summary>
    MemoryMapTrailingBytes,

    /// <summary>A module ends before it starts.</summary>
    ModuleEndBeforeStart,

    /// <summary>More modules than the kernel keeps.</summary>
    TooManyModules,

    /// <summary>A string (command line, boot loader name, module name) has no terminating NUL inside its tag.</summary>
    StringNotTerminated,

    /// <summary>The tags end without an end tag (type 0).</summary>
    MissingEndTag,

    /// <summary>A framebuffer of a kind the kernel does not draw on (indexed colour, not 32 bits per pixel).</summary>
    FramebufferUnsupported,

    /// <summary>A framebuffer whose geometry, address or colour fields are impossible.</summary>
    FramebufferMalformed,

    /// <summary>An ACPI RSDP copy without the "RSD PTR " signature.</summary>
    RsdpBadSignature,

    /// <summary>An ACPI RSDP copy whose checksum (or extended checksum) does not sum to 0.</summary>
    RsdpBadChecksum,

    /// <summary>An ACPI 2.0 RSDP copy whose length field is under 36 bytes or larger than its tag.</summary>
    RsdpBadLength,
}
