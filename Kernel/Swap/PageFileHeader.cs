namespace Kernel.Swap;

/// <summary>
/// The page-file signature: sector 0 of a disk this kernel may use as its page file. A disk without it,
/// or with a header that fails any check, is never written. Little-endian, one 512-byte sector:
/// <code>
///   0  16  magic "CsKernelPageFile"
///  16   4  version (1)
///  20   4  header size in bytes (512)
///  24   4  slot size in bytes (4096: a page)
///  28   4  flags (0)
///  32   8  slot count (1 to MaxSlots)
///  40   8  LBA of slot 0 (at least 8 and a multiple of 8: slots lie on the disk's 4 KiB boundaries)
///  48  16  UUID (random, names this page file)
///  64 444  reserved (0)
/// 508   4  CRC-32 (IEEE 802.3, as zlib) of bytes 0 to 507
/// </code>
/// Slot i occupies the 8 sectors from LBA FirstSlotLba + 8 i. Hardware-free: compiled into the host tests
/// and into the image tool (tools/pagefile) too.
/// </summary>
internal unsafe struct PageFileHeader
{
    public const int Size = 512;
    public const uint Version1 = 1;
    public const uint SlotSize = 4096;
    public const ulong SectorSize = 512;
    public const ulong SectorsPerSlot = SlotSize / SectorSize;

    /// <summary>The most slots this kernel tracks: 64 GiB of page file, a 2 MiB slot bitmap.</summary>
    public const ulong MaxSlots = 1UL << 24;

    /// <summary>Where the image tool puts slot 0: the first 4 KiB boundary after the header.</summary>
    public const ulong DefaultFirstSlotLba = SectorsPerSlot;

    private const int MagicLength = 16;
    private const int VersionOffset = 16;
    private const int HeaderSizeOffset = 20;
    private const int SlotSizeOffset = 24;
    private const int FlagsOffset = 28;
    private const int SlotCountOffset = 32;
    private const int FirstSlotOffset = 40;
    private const int UuidOffset = 48;
    private const int ReservedOffset = 64;
    private const int ChecksumOffset = 508;
    private const uint Crc32Polynomial = 0xEDB88320;

    public ulong SlotCount;
    public ulong FirstSlotLba;
    public ulong UuidLow;
    public ulong UuidHigh;

    /// <summary>The first sector after the last slot.</summary>
    public ulong EndLba => FirstSlotLba + SlotCount * SectorsPerSlot;

    /// <summary>The LBA of slot <paramref name="slot"/>'s first sector.</summary>
    public ulong SlotLba(ulong slot) => FirstSlotLba + slot * SectorsPerSlot;

    /// <summary>
    /// Reads the header in the <paramref name="length"/> bytes at <paramref name="sector"/> (sector 0 of a
    /// disk of <paramref name="diskSectors"/> sectors) and checks every field against the disk: the magic,
    /// the checksum, the version and sizes, zero flags and reserved bytes, and slots that lie wholly on the
    /// disk after the header. Only <see cref="PageFileHeaderStatus.Ok"/> fills <paramref name="header"/>.
    /// </summary>
    public static PageFileHeaderStatus Parse(byte* sector, ulong length, ulong diskSectors, out PageFileHeader header)
    {
        header = default;
        if (sector == null || length < Size)
        {
            return PageFileHeaderStatus.Truncated;
        }
        for (int i = 0; i < MagicLength; i++)
        {
            if (sector[i] != MagicByte(i))
            {
                return PageFileHeaderStatus.NoSignature;
            }
        }
        if (ReadU32(sector, ChecksumOffset) != Crc32(sector, ChecksumOffset))
        {
            return PageFileHeaderStatus.BadChecksum;
        }
        if (ReadU32(sector, VersionOffset) != Version1)
        {
            return PageFileHeaderStatus.UnsupportedVersion;
        }
        if (ReadU32(sector, HeaderSizeOffset) != Size)
        {
            return PageFileHeaderStatus.BadHeaderSize;
        }
        if (ReadU32(sector, SlotSizeOffset) != SlotSize)
        {
            return PageFileHeaderStatus.BadSlotSize;
        }
        if (ReadU32(sector, FlagsOffset) != 0)
        {
            return PageFileHeaderStatus.ReservedNotZero;
        }
        for (int i = ReservedOffset; i < ChecksumOffset; i++)
        {
            if (sector[i] != 0)
            {
                return PageFileHeaderStatus.ReservedNotZero;
            }
        }
        ulong slots = ReadU64(sector, SlotCountOffset);
        ulong first = ReadU64(sector, FirstSlotOffset);
        if (first < SectorsPerSlot || first % SectorsPerSlot != 0)
        {
            return PageFileHeaderStatus.BadFirstSlot;
        }
        if (slots == 0)
        {
            return PageFileHeaderStatus.NoSlots;
        }
        if (slots > MaxSlots)
        {
            return PageFileHeaderStatus.TooManySlots;
        }
        // Division, not multiplication: a hostile count must not wrap around.
        if (first >= diskSectors || slots > (diskSectors - first) / SectorsPerSlot)
        {
            return PageFileHeaderStatus.BeyondDisk;
        }
        header.SlotCount = slots;
        header.FirstSlotLba = first;
        header.UuidLow = ReadU64(sector, UuidOffset);
        header.UuidHigh = ReadU64(sector, UuidOffset + 8);
        return PageFileHeaderStatus.Ok;
    }

    /// <summary>
    /// Writes a version-1 header for <paramref name="slotCount"/> slots from <paramref name="firstSlotLba"/>
    /// into the <see cref="Size"/> bytes at <paramref name="sector"/>, checksum included.
    /// </summary>
    public static void Write(byte* sector, ulong slotCount, ulong firstSlotLba, ulong uuidLow, ulong uuidHigh)
    {
        for (int i = 0; i < Size; i++)
        {
            sector[i] = 0;
        }
        for (int i = 0; i < MagicLength; i++)
        {
            sector[i] = MagicByte(i);
        }
        WriteU32(sector, VersionOffset, Version1);
        WriteU32(sector, HeaderSizeOffset, Size);
        WriteU32(sector, SlotSizeOffset, SlotSize);
        WriteU64(sector, SlotCountOffset, slotCount);
        WriteU64(sector, FirstSlotOffset, firstSlotLba);
        WriteU64(sector, UuidOffset, uuidLow);
        WriteU64(sector, UuidOffset + 8, uuidHigh);
        WriteU32(sector, ChecksumOffset, Crc32(sector, ChecksumOffset));
    }

    /// <summary>The slots a disk of <paramref name="diskSectors"/> sectors holds after a header at the default place.</summary>
    public static ulong SlotsFor(ulong diskSectors)
    {
        if (diskSectors <= DefaultFirstSlotLba)
        {
            return 0;
        }
        ulong slots = (diskSectors - DefaultFirstSlotLba) / SectorsPerSlot;
        return slots < MaxSlots ? slots : MaxSlots;
    }

    /// <summary>CRC-32 (reflected, polynomial 0x04C11DB7, initial and final XOR all ones): the checksum of zlib and gzip.</summary>
    public static uint Crc32(byte* data, int length)
    {
        uint crc = 0xFFFFFFFF;
        for (int i = 0; i < length; i++)
        {
            crc ^= data[i];
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? crc >> 1 ^ Crc32Polynomial : crc >> 1;
            }
        }
        return ~crc;
    }

    // "CsKernelPageFile", spelled out: the kernel's corlib has no string-to-bytes conversion to lean on.
    private static byte MagicByte(int index)
    {
        switch (index)
        {
            case 0: return (byte)'C';
            case 1: return (byte)'s';
            case 2: return (byte)'K';
            case 3: return (byte)'e';
            case 4: return (byte)'r';
            case 5: return (byte)'n';
            case 6: return (byte)'e';
            case 7: return (byte)'l';
            case 8: return (byte)'P';
            case 9: return (byte)'a';
            case 10: return (byte)'g';
            case 11: return (byte)'e';
            case 12: return (byte)'F';
            case 13: return (byte)'i';
            case 14: return (byte)'l';
            default: return (byte)'e';
        }
    }

    private static uint ReadU32(byte* p, int offset) => (uint)p[offset] | (uint)p[offset + 1] << 8 | (uint)p[offset + 2] << 16 | (uint)p[offset + 3] << 24;

    private static ulong ReadU64(byte* p, int offset) => ReadU32(p, offset) | (ulong)ReadU32(p, offset + 4) << 32;

    private static void WriteU32(byte* p, int offset, uint value)
    {
        for (int i = 0; i < 4; i++)
        {
            p[offset + i] = (byte)(value >> (8 * i));
        }
    }

    private static void WriteU64(byte* p, int offset, ulong value)
    {
        WriteU32(p, offset, (uint)value);
        WriteU32(p, offset + 4, (uint)(value >> 32));
    }
}
