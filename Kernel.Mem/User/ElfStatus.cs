namespace Kernel.Mem.User;

/// <summary>Why an ELF image was refused; <see cref="Ok"/> when it can be loaded. Each has a message in <see cref="ElfImage.Describe"/>.</summary>
public enum ElfStatus
{
    Ok = 0,
    Truncated,
    BadMagic,
    NotElf64,
    NotLittleEndian,
    BadVersion,
    NotExecutable,
    WrongMachine,
    BadHeaderSize,
    BadProgramHeaderTable,
    TooManySegments,
    UnsupportedSegment,
    SegmentOutsideFile,
    FileSizeExceedsMemorySize,
    SegmentOutsideUserRange,
    MisalignedSegment,
    SegmentsOverlap,
    WritableAndExecutable,
    ImageTooLarge,
    NoLoadableSegment,
    EntryNotExecutable,
}
