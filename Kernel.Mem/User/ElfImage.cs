namespace Kernel.Mem.User;

/// <summary>
/// A checked ELF64 executable for this kernel: x86-64, little-endian, statically linked (ET_EXEC, no
/// interpreter, no dynamic section, no thread-local storage), every PT_LOAD segment inside the user image
/// range, inside the file, page-disjoint from the others, never both writable and executable, and the
/// entry point inside an executable segment (ELF-64 Object File Format 1.5; System V ABI AMD64 supplement).
/// <see cref="Parse"/> reads only the bytes it is given and trusts none of them: every offset, size and
/// count is checked before use, without overflow, so a truncated or hostile image gets a status, not a fault.
/// </summary>
public readonly unsafe struct ElfImage
{
    public const int MaxLoadSegments = 16;
    public const int MaxProgramHeaders = 64;

    /// <summary>The most memory an image may occupy; a bigger one is refused before anything is allocated.</summary>
    public const ulong MaxImageSize = 64 * MemConstants.MiB;

    private const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const byte ClassElf64 = 2;
    private const byte DataLittleEndian = 1;
    private const byte CurrentVersion = 1;
    private const ushort TypeExecutable = 2;
    private const ushort MachineX86_64 = 62;

    private const uint SegmentNull = 0;
    private const uint SegmentLoad = 1;
    private const uint SegmentDynamic = 2;
    private const uint SegmentInterpreter = 3;
    private const uint SegmentTls = 7;
    private const uint FlagExecute = 1;
    private const uint FlagWrite = 2;

    private readonly byte* _data;
    private readonly ulong _programHeaders;
    private readonly int _programHeaderCount;

    private ElfImage(byte* data, ulong programHeaders, int programHeaderCount, ulong entry, int loadSegments, ulong pages)
    {
        _data = data;
        _programHeaders = programHeaders;
        _programHeaderCount = programHeaderCount;
        Entry = entry;
        LoadSegmentCount = loadSegments;
        PageCount = pages;
    }

    public ulong Entry { get; }

    /// <summary>The number of PT_LOAD segments, each reachable through <see cref="GetLoadSegment"/>.</summary>
    public int LoadSegmentCount { get; }

    /// <summary>Pages the loaded image occupies (the frames loading it takes, page tables aside).</summary>
    public ulong PageCount { get; }

    /// <summary>The bytes of the file, for copying segment contents (valid while the caller's buffer is).</summary>
    public byte* Data => _data;

    /// <summary>
    /// Checks the <paramref name="length"/> bytes at <paramref name="data"/> as an executable for this kernel
    /// and, on <see cref="ElfStatus.Ok"/>, describes it in <paramref name="image"/>.
    /// </summary>
    public static ElfStatus Parse(byte* data, ulong length, out ElfImage image)
    {
        image = default;
        if (data == null || length < HeaderSize)
        {
            return ElfStatus.Truncated;
        }
        if (data[0] != 0x7F || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
        {
            return ElfStatus.BadMagic;
        }
        if (data[4] != ClassElf64)
        {
            return ElfStatus.NotElf64;
        }
        if (data[5] != DataLittleEndian)
        {
            return ElfStatus.NotLittleEndian;
        }
        if (data[6] != CurrentVersion || Read32(data, 20) != CurrentVersion)
        {
            return ElfStatus.BadVersion;
        }
        if (Read16(data, 16) != TypeExecutable)
        {
            return ElfStatus.NotExecutable;
        }
        if (Read16(data, 18) != MachineX86_64)
        {
            return ElfStatus.WrongMachine;
        }
        if (Read16(data, 52) != HeaderSize)
        {
            return ElfStatus.BadHeaderSize;
        }
        ulong entry = Read64(data, 24);
        ulong programHeaders = Read64(data, 32);
        int entrySize = Read16(data, 54);
        int count = Read16(data, 56);
        if (entrySize != ProgramHeaderSize || count == 0 || programHeaders < HeaderSize)
        {
            return ElfStatus.BadProgramHeaderTable;
        }
        if (count > MaxProgramHeaders)
        {
            return ElfStatus.TooManySegments;
        }
        if (programHeaders > length || (ulong)count * ProgramHeaderSize > length - programHeaders)
        {
            return ElfStatus.Truncated;
        }

        var candidate = new ElfImage(data, programHeaders, count, entry, 0, 0);
        int loads = 0;
        ulong pages = 0;
        bool entryFound = false;
        for (int i = 0; i < count; i++)
        {
            byte* header = candidate.ProgramHeader(i);
            uint type = Read32(header, 0);
            if (type == SegmentInterpreter || type == SegmentDynamic || type == SegmentTls)
            {
                return ElfStatus.UnsupportedSegment;
            }
            if (type != SegmentLoad)
            {
                // PT_NULL, PT_NOTE, PT_GNU_STACK, PT_GNU_EH_FRAME and the like carry nothing to load.
                continue;
            }
            ElfStatus status = CheckLoadSegment(header, length, out ElfSegment segment);
            if (status != ElfStatus.Ok)
            {
                return status;
            }
            if (segment.MemorySize == 0)
            {
                continue;
            }
            if (++loads > MaxLoadSegments)
            {
                return ElfStatus.TooManySegments;
            }
            for (int j = 0; j < i; j++)
            {
                if (candidate.TryReadLoad(j, out ElfSegment earlier) && earlier.MemorySize != 0
                    && segment.FirstPage < earlier.EndPage && earlier.FirstPage < segment.EndPage)
                {
                    return ElfStatus.SegmentsOverlap;
                }
            }
            pages += segment.PageCount;
            if (pages > MaxImageSize / MemConstants.PageSize)
            {
                return ElfStatus.ImageTooLarge;
            }
            if (segment.Executable && entry >= segment.VirtualAddress && entry - segment.VirtualAddress < segment.MemorySize)
            {
                entryFound = true;
            }
        }
        if (loads == 0)
        {
            return ElfStatus.NoLoadableSegment;
        }
        if (!entryFound)
        {
            return ElfStatus.EntryNotExecutable;
        }
        image = new ElfImage(data, programHeaders, count, entry, loads, pages);
        return ElfStatus.Ok;
    }

    /// <summary>The <paramref name="index"/>-th non-empty PT_LOAD segment (0-based, in program-header order).</summary>
    public ElfSegment GetLoadSegment(int index)
    {
        int seen = 0;
        for (int i = 0; i < _programHeaderCount; i++)
        {
            if (TryReadLoad(i, out ElfSegment segment) && segment.MemorySize != 0)
            {
                if (seen == index)
                {
                    return segment;
                }
                seen++;
            }
        }
        return default;
    }

    /// <summary>What a status means, in words a user reads after "cannot load PROGRAM: ".</summary>
    public static string Describe(ElfStatus status)
    {
        switch (status)
        {
            case ElfStatus.Ok: return "ok";
            case ElfStatus.Truncated: return "the image is truncated (a header or table runs past its end)";
            case ElfStatus.BadMagic: return "not an ELF image (bad magic)";
            case ElfStatus.NotElf64: return "not a 64-bit ELF image";
            case ElfStatus.NotLittleEndian: return "not a little-endian ELF image";
            case ElfStatus.BadVersion: return "unknown ELF version";
            case ElfStatus.NotExecutable: return "not a statically linked executable (ELF type is not EXEC)";
            case ElfStatus.WrongMachine: return "not an x86-64 image";
            case ElfStatus.BadHeaderSize: return "the ELF header size is wrong";
            case ElfStatus.BadProgramHeaderTable: return "the program header table is malformed";
            case ElfStatus.TooManySegments: return "too many segments";
            case ElfStatus.UnsupportedSegment: return "needs an interpreter, dynamic linking or thread-local storage, which this kernel does not offer";
            case ElfStatus.SegmentOutsideFile: return "a segment's bytes lie outside the file";
            case ElfStatus.FileSizeExceedsMemorySize: return "a segment has more file bytes than memory";
            case ElfStatus.SegmentOutsideUserRange: return "a segment lies outside the user image range (page 0, the heap, the stack or the kernel half)";
            case ElfStatus.MisalignedSegment: return "a segment's alignment is not a power of two or its address and offset disagree modulo it";
            case ElfStatus.SegmentsOverlap: return "two segments share a page";
            case ElfStatus.WritableAndExecutable: return "a segment is both writable and executable (W^X)";
            case ElfStatus.ImageTooLarge: return "the image is too large";
            case ElfStatus.NoLoadableSegment: return "there is nothing to load";
            case ElfStatus.EntryNotExecutable: return "the entry point is not inside an executable segment";
            default: return "unknown ELF status";
        }
    }

    private static ElfStatus CheckLoadSegment(byte* header, ulong length, out ElfSegment segment)
    {
        uint flags = Read32(header, 4);
        ulong offset = Read64(header, 8);
        ulong address = Read64(header, 16);
        ulong fileSize = Read64(header, 32);
        ulong memorySize = Read64(header, 40);
        ulong alignment = Read64(header, 48);
        segment = new ElfSegment(address, memorySize, offset, fileSize, (flags & FlagWrite) != 0, (flags & FlagExecute) != 0);

        if (fileSize > memorySize)
        {
            return ElfStatus.FileSizeExceedsMemorySize;
        }
        if (offset > length || fileSize > length - offset)
        {
            return ElfStatus.SegmentOutsideFile;
        }
        if (memorySize == 0)
        {
            return ElfStatus.Ok;
        }
        if (address < UserLayout.LowestAddress || address >= UserLayout.ImageEnd || memorySize > UserLayout.ImageEnd - address)
        {
            return ElfStatus.SegmentOutsideUserRange;
        }
        if (memorySize > MaxImageSize)
        {
            return ElfStatus.ImageTooLarge;
        }
        if (alignment > 1 && ((alignment & (alignment - 1)) != 0 || (address & (alignment - 1)) != (offset & (alignment - 1))))
        {
            return ElfStatus.MisalignedSegment;
        }
        if (segment.Writable && segment.Executable)
        {
            return ElfStatus.WritableAndExecutable;
        }
        return ElfStatus.Ok;
    }

    private bool TryReadLoad(int index, out ElfSegment segment)
    {
        byte* header = ProgramHeader(index);
        if (Read32(header, 0) != SegmentLoad)
        {
            segment = default;
            return false;
        }
        segment = new ElfSegment(Read64(header, 16), Read64(header, 40), Read64(header, 8), Read64(header, 32),
            (Read32(header, 4) & FlagWrite) != 0, (Read32(header, 4) & FlagExecute) != 0);
        return true;
    }

    private byte* ProgramHeader(int index) => _data + _programHeaders + (ulong)index * ProgramHeaderSize;

    // ELF fields of this class are little-endian; reading them byte by byte needs no alignment.
    private static ushort Read16(byte* p, int offset) => (ushort)(p[offset] | p[offset + 1] << 8);

    private static uint Read32(byte* p, int offset) => Read16(p, offset) | (uint)Read16(p, offset + 2) << 16;

    private static ulong Read64(byte* p, int offset) => Read32(p, offset) | (ulong)Read32(p, offset + 4) << 32;
}
