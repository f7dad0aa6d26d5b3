using System;
using System.IO;
using System.IO.Compression;
using Kernel.Swap;
using Xunit;

namespace Kernel.Tests.Swap;

/// <summary>
/// The page-file header (Kernel/Swap/PageFileHeader.cs): what the image tool writes is read back whole, and a
/// sector that is short, unsigned, damaged or claims slots the disk does not have is refused, never trusted.
/// </summary>
public sealed unsafe class PageFileHeaderTests
{
    private const ulong DiskSectors = 64UL * 1024 * 1024 / 512;

    private static byte[] Header(ulong slots = 16382, ulong first = 8, ulong uuidLow = 0x1122334455667788, ulong uuidHigh = 0x99AABBCCDDEEFF00)
    {
        var sector = new byte[PageFileHeader.Size];
        fixed (byte* p = sector)
        {
            PageFileHeader.Write(p, slots, first, uuidLow, uuidHigh);
        }
        return sector;
    }

    private static PageFileHeaderStatus Parse(byte[] sector, ulong diskSectors, out PageFileHeader header)
    {
        fixed (byte* p = sector)
        {
            return PageFileHeader.Parse(p, (ulong)sector.Length, diskSectors, out header);
        }
    }

    private static PageFileHeaderStatus Parse(byte[] sector, ulong diskSectors = DiskSectors) => Parse(sector, diskSectors, out _);

    /// <summary>The CRC-32 zlib computes, read from the trailer of a gzip stream (RFC 1952): a reference independent of the kernel's code.</summary>
    private static uint ZlibCrc32(byte[] data, int length)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data, 0, length);
        }
        byte[] bytes = compressed.ToArray();
        return BitConverter.ToUInt32(bytes, bytes.Length - 8);
    }

    /// <summary>Sets bytes and recomputes the checksum, as a careful forger would.</summary>
    private static byte[] Forged(byte[] sector, int offset, params byte[] bytes)
    {
        Array.Copy(bytes, 0, sector, offset, bytes.Length);
        BitConverter.TryWriteBytes(sector.AsSpan(508), ZlibCrc32(sector, 508));
        return sector;
    }

    [Fact]
    public void A_header_the_tool_writes_is_read_back_with_every_field()
    {
        Assert.Equal(PageFileHeaderStatus.Ok, Parse(Header(), DiskSectors, out PageFileHeader header));
        Assert.Equal(16382UL, header.SlotCount);
        Assert.Equal(8UL, header.FirstSlotLba);
        Assert.Equal(0x1122334455667788UL, header.UuidLow);
        Assert.Equal(0x99AABBCCDDEEFF00UL, header.UuidHigh);
        Assert.Equal(8UL + 16382 * 8, header.EndLba);
        Assert.Equal(8UL + 5 * 8, header.SlotLba(5));
    }

    [Fact]
    public void The_layout_is_the_documented_one_with_a_zlib_crc32_at_offset_508()
    {
        byte[] sector = Header(slots: 3, first: 16);
        Assert.Equal("CsKernelPageFile", System.Text.Encoding.ASCII.GetString(sector, 0, 16));
        Assert.Equal(1u, BitConverter.ToUInt32(sector, 16));
        Assert.Equal(512u, BitConverter.ToUInt32(sector, 20));
        Assert.Equal(4096u, BitConverter.ToUInt32(sector, 24));
        Assert.Equal(0u, BitConverter.ToUInt32(sector, 28));
        Assert.Equal(3UL, BitConverter.ToUInt64(sector, 32));
        Assert.Equal(16UL, BitConverter.ToUInt64(sector, 40));
        Assert.Equal(ZlibCrc32(sector, 508), BitConverter.ToUInt32(sector, 508));
    }

    [Fact]
    public void Slots_for_a_disk_fill_it_after_the_first_4_KiB()
    {
        Assert.Equal(16383UL, PageFileHeader.SlotsFor(DiskSectors));
        Assert.Equal(0UL, PageFileHeader.SlotsFor(8));
        Assert.Equal(1UL, PageFileHeader.SlotsFor(16));
        Assert.Equal(1UL, PageFileHeader.SlotsFor(23));
        Assert.Equal(PageFileHeader.MaxSlots, PageFileHeader.SlotsFor(ulong.MaxValue / 2));
        Assert.Equal(PageFileHeaderStatus.Ok, Parse(Header(slots: PageFileHeader.SlotsFor(DiskSectors))));
    }

    [Fact]
    public void A_short_sector_or_none_is_truncated()
    {
        Assert.Equal(PageFileHeaderStatus.Truncated, Parse(Header()[..511]));
        Assert.Equal(PageFileHeaderStatus.Truncated, PageFileHeader.Parse(null, 512, DiskSectors, out _));
    }

    [Fact]
    public void An_ordinary_disk_has_no_signature()
    {
        Assert.Equal(PageFileHeaderStatus.NoSignature, Parse(new byte[512]));
        byte[] almost = Header();
        almost[15] = (byte)'E';
        Assert.Equal(PageFileHeaderStatus.NoSignature, Parse(almost));
        // The disk the DMA boot tests read: "HD" and the LBA at the start of every sector.
        byte[] tagged = new byte[512];
        tagged[0] = (byte)'H';
        tagged[1] = (byte)'D';
        Assert.Equal(PageFileHeaderStatus.NoSignature, Parse(tagged));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(47)]
    [InlineData(48)]
    [InlineData(200)]
    [InlineData(508)]
    [InlineData(511)]
    public void Any_flipped_bit_after_the_magic_fails_the_checksum(int offset)
    {
        byte[] sector = Header();
        sector[offset] ^= 0x10;
        Assert.Equal(PageFileHeaderStatus.BadChecksum, Parse(sector));
    }

    [Fact]
    public void Another_version_or_header_size_or_slot_size_is_refused()
    {
        Assert.Equal(PageFileHeaderStatus.UnsupportedVersion, Parse(Forged(Header(), 16, 2, 0, 0, 0)));
        Assert.Equal(PageFileHeaderStatus.UnsupportedVersion, Parse(Forged(Header(), 16, 0, 0, 0, 0)));
        Assert.Equal(PageFileHeaderStatus.BadHeaderSize, Parse(Forged(Header(), 20, 0, 4, 0, 0)));
        Assert.Equal(PageFileHeaderStatus.BadSlotSize, Parse(Forged(Header(), 24, 0, 0x20, 0, 0)));
        Assert.Equal(PageFileHeaderStatus.BadSlotSize, Parse(Forged(Header(), 24, 0, 0, 0, 0)));
    }

    [Theory]
    [InlineData(28)]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(300)]
    [InlineData(507)]
    public void Flags_or_reserved_bytes_set_are_refused(int offset)
    {
        Assert.Equal(PageFileHeaderStatus.ReservedNotZero, Parse(Forged(Header(), offset, 1)));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(7UL)]
    [InlineData(9UL)]
    [InlineData(12UL)]
    public void A_first_slot_on_the_header_or_off_a_4_KiB_boundary_is_refused(ulong first)
    {
        Assert.Equal(PageFileHeaderStatus.BadFirstSlot, Parse(Header(first: first)));
    }

    [Fact]
    public void No_slots_or_more_than_the_kernel_tracks_are_refused()
    {
        Assert.Equal(PageFileHeaderStatus.NoSlots, Parse(Header(slots: 0)));
        Assert.Equal(PageFileHeaderStatus.TooManySlots, Parse(Header(slots: PageFileHeader.MaxSlots + 1), ulong.MaxValue));
        Assert.Equal(PageFileHeaderStatus.Ok, Parse(Header(slots: PageFileHeader.MaxSlots), ulong.MaxValue));
    }

    [Theory]
    [InlineData(16383UL, 8UL, true)]
    [InlineData(16384UL, 8UL, false)]
    [InlineData(16382UL, 16UL, true)]
    [InlineData(16383UL, 16UL, false)]
    [InlineData(1UL, DiskSectors - 8, true)]
    [InlineData(1UL, DiskSectors, false)]
    [InlineData(1UL, 0xFFFF_FFFF_FFFF_FFF8UL, false)]
    public void Slots_must_lie_wholly_on_the_disk(ulong slots, ulong first, bool fits)
    {
        Assert.Equal(fits ? PageFileHeaderStatus.Ok : PageFileHeaderStatus.BeyondDisk, Parse(Header(slots: slots, first: first)));
    }

    [Fact]
    public void A_slot_count_chosen_to_wrap_the_end_around_is_refused()
    {
        // first + slots * 8 wraps to a small number for this count: only a division-based check sees it.
        ulong wrapping = (ulong.MaxValue / 8) + 2;
        Assert.Equal(PageFileHeaderStatus.TooManySlots, Parse(Header(slots: wrapping), ulong.MaxValue));
        Assert.Equal(PageFileHeaderStatus.BeyondDisk, Parse(Header(slots: PageFileHeader.MaxSlots), DiskSectors));
    }

    [Fact]
    public void Random_sectors_and_random_corruptions_never_parse_as_a_page_file()
    {
        var random = new Random(1234);
        byte[] sector = new byte[512];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(sector);
            Assert.NotEqual(PageFileHeaderStatus.Ok, Parse(sector));
            byte[] corrupted = Header();
            int offset = 16 + random.Next(512 - 16);
            corrupted[offset] ^= (byte)(1 + random.Next(255));
            Assert.NotEqual(PageFileHeaderStatus.Ok, Parse(corrupted));
        }
    }
}
