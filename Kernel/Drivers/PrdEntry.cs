namespace Kernel.Drivers;

/// <summary>
/// A physical region descriptor of the bus-master IDE table (SFF-8038i rev. 1.0, "Physical Region Descriptor"): dword 0
/// the region's physical base (bit 0 zero: regions are word aligned), then a 16-bit byte count (bit 0
/// zero; 0 means 64 KiB) and a word whose bit 15 marks the last entry (EOT). A region must not cross a
/// 64 KiB boundary.
/// </summary>
internal struct PrdEntry
{
    public const ulong MaxRegionBytes = 64 * 1024;
    public const ushort EndOfTable = 0x8000;

    /// <summary>An entry's size in the table: two dwords.</summary>
    public const ulong EntryBytes = 8;

    public uint PhysicalBase;
    public ushort ByteCount;
    public ushort Flags;

    /// <summary>The byte count field for a region of <paramref name="bytes"/> (2 to 64 KiB, even): 64 KiB is written as 0.</summary>
    public static ushort EncodeByteCount(ulong bytes) => bytes == MaxRegionBytes ? (ushort)0 : (ushort)bytes;

    /// <summary>The region size a byte count field stands for.</summary>
    public static ulong DecodeByteCount(ushort field) => field == 0 ? MaxRegionBytes : field;
}
