namespace Kernel.Boot;

/// <summary>One malformed tag: what was wrong, and the type and offset of the tag, for the boot log.</summary>
internal struct BootInformationProblem
{
    public BootInformationProblemKind Kind;
    public uint TagType;
    public uint TagOffset;

    public string Description
    {
        get
        {
            switch (Kind)
            {
                case BootInformationProblemKind.TagSmallerThanHeader: return "tag size smaller than its header; the remaining tags are ignored";
                case BootInformationProblemKind.TagPastEnd: return "tag runs past the end of the boot information; it and the rest are ignored";
                case BootInformationProblemKind.TagTooShort: return "tag too short for its fields; skipped";
                case BootInformationProblemKind.BadMemoryMapEntrySize: return "memory map entry size is 0, under 24 or not a multiple of 8; map skipped";
                case BootInformationProblemKind.MemoryMapTrailingBytes: return "memory map ends in a partial entry; the partial entry is ignored";
                case BootInformationProblemKind.ModuleEndBeforeStart: return "module ends before it starts; skipped";
                case BootInformationProblemKind.TooManyModules: return "more modules than the kernel keeps; skipped";
                case BootInformationProblemKind.StringNotTerminated: return "string without a terminating NUL inside its tag; skipped";
                case BootInformationProblemKind.MissingEndTag: return "no end tag";
                case BootInformationProblemKind.FramebufferUnsupported: return "framebuffer not 32-bit direct colour; the console stays on VGA text and COM1";
                case BootInformationProblemKind.FramebufferMalformed: return "framebuffer geometry, address or colour fields impossible; not used";
                case BootInformationProblemKind.RsdpBadSignature: return "ACPI RSDP copy without its signature; not used";
                case BootInformationProblemKind.RsdpBadChecksum: return "ACPI RSDP copy fails its checksum; not used";
                case BootInformationProblemKind.RsdpBadLength: return "ACPI 2.0 RSDP copy with a length under 36 or past its tag; not used";
                default: return "unknown problem";
            }
        }
    }
}
