namespace Kernel.Swap;

/// <summary>What <see cref="PageFileHeader.Parse"/> made of a disk's first sector.</summary>
internal enum PageFileHeaderStatus
{
    /// <summary>A page-file header this kernel may use: every field checked.</summary>
    Ok,

    /// <summary>Fewer bytes than a header's sector.</summary>
    Truncated,

    /// <summary>The magic is not there: an ordinary disk, never to be written.</summary>
    NoSignature,

    /// <summary>The magic is there but the CRC-32 of the header does not match: damaged.</summary>
    BadChecksum,

    /// <summary>A version this kernel does not know.</summary>
    UnsupportedVersion,

    /// <summary>The header-size field is not the size of this version's header.</summary>
    BadHeaderSize,

    /// <summary>The slot size is not 4096 bytes (one page).</summary>
    BadSlotSize,

    /// <summary>Flags or reserved bytes this version does not define are set.</summary>
    ReservedNotZero,

    /// <summary>The first slot overlaps the header or does not start on a 4 KiB boundary of the disk.</summary>
    BadFirstSlot,

    /// <summary>No slots.</summary>
    NoSlots,

    /// <summary>More slots than this kernel keeps track of (<see cref="PageFileHeader.MaxSlots"/>).</summary>
    TooManySlots,

    /// <summary>The slots reach past the end of the disk.</summary>
    BeyondDisk,
}
