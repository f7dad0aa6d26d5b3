using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace FontGen;

/// <summary>
/// A Linux console font: PSF1 (magic 36 04; 256 or 512 glyphs 8 pixels wide, a byte per row) or PSF2 (magic
/// 72 B5 4A 86; any width, rows padded to whole bytes), with its Unicode table mapping characters to glyphs.
/// Gzipped files are read as they are shipped in /usr/share/consolefonts.
/// </summary>
public sealed class PsfFont
{
    private const byte Psf1Magic0 = 0x36;
    private const byte Psf1Magic1 = 0x04;
    private const byte Psf1Mode512 = 0x01;
    private const byte Psf1ModeHasTable = 0x02;
    private const byte Psf1ModeSequences = 0x04;
    private const uint Psf2Magic = 0x864AB572;
    private const uint Psf2HasTable = 0x01;

    private readonly byte[] _glyphs;
    private readonly Dictionary<int, int> _glyphOf = new();

    private PsfFont(int width, int height, int bytesPerGlyph, int count, byte[] glyphs)
    {
        Width = width;
        Height = height;
        BytesPerGlyph = bytesPerGlyph;
        GlyphCount = count;
        _glyphs = glyphs;
    }

    public int Width { get; }

    public int Height { get; }

    public int BytesPerGlyph { get; }

    public int GlyphCount { get; }

    public int BytesPerRow => (Width + 7) / 8;

    public static PsfFont Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length > 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            bytes = plain.ToArray();
        }
        return Parse(bytes);
    }

    public static PsfFont Parse(byte[] bytes)
    {
        if (bytes.Length >= 4 && bytes[0] == Psf1Magic0 && bytes[1] == Psf1Magic1)
        {
            byte mode = bytes[2];
            int height = bytes[3];
            int count = (mode & Psf1Mode512) != 0 ? 512 : 256;
            var font = new PsfFont(8, height, height, count, Slice(bytes, 4, count * height));
            if ((mode & (Psf1ModeHasTable | Psf1ModeSequences)) != 0)
            {
                font.ReadPsf1Table(bytes, 4 + count * height);
            }
            return font;
        }
        if (bytes.Length >= 32 && BitConverter.ToUInt32(bytes, 0) == Psf2Magic)
        {
            int headerSize = (int)BitConverter.ToUInt32(bytes, 8);
            uint flags = BitConverter.ToUInt32(bytes, 12);
            int count = (int)BitConverter.ToUInt32(bytes, 16);
            int bytesPerGlyph = (int)BitConverter.ToUInt32(bytes, 20);
            int height = (int)BitConverter.ToUInt32(bytes, 24);
            int width = (int)BitConverter.ToUInt32(bytes, 28);
            var font = new PsfFont(width, height, bytesPerGlyph, count, Slice(bytes, headerSize, count * bytesPerGlyph));
            if ((flags & Psf2HasTable) != 0)
            {
                font.ReadPsf2Table(bytes, headerSize + count * bytesPerGlyph);
            }
            return font;
        }
        throw new InvalidDataException("not a PSF1 or PSF2 font");
    }

    /// <summary>The glyph drawn for <paramref name="character"/>: by the Unicode table, else the glyph of the same number.</summary>
    public int GlyphOf(int character) => _glyphOf.TryGetValue(character, out int glyph) ? glyph : character < GlyphCount ? character : 0;

    /// <summary>Whether pixel (<paramref name="x"/>, <paramref name="y"/>) of <paramref name="glyph"/> is set.</summary>
    public bool IsSet(int glyph, int x, int y)
    {
        byte row = _glyphs[glyph * BytesPerGlyph + y * BytesPerRow + x / 8];
        return (row & (0x80 >> (x % 8))) != 0;
    }

    /// <summary>The rows of <paramref name="glyph"/>, <see cref="BytesPerRow"/> bytes each, most significant bit leftmost.</summary>
    public ReadOnlySpan<byte> Glyph(int glyph) => new ReadOnlySpan<byte>(_glyphs, glyph * BytesPerGlyph, BytesPerGlyph);

    private static byte[] Slice(byte[] bytes, int offset, int length)
    {
        if (offset + length > bytes.Length)
        {
            throw new InvalidDataException("font shorter than its glyphs");
        }
        return bytes.AsSpan(offset, length).ToArray();
    }

    // PSF1: per glyph, 16-bit characters up to 0xFFFF; 0xFFFE starts combining sequences, which are skipped.
    private void ReadPsf1Table(byte[] bytes, int offset)
    {
        for (int glyph = 0; glyph < GlyphCount && offset + 1 < bytes.Length; glyph++)
        {
            bool sequence = false;
            while (offset + 1 < bytes.Length)
            {
                int value = BitConverter.ToUInt16(bytes, offset);
                offset += 2;
                if (value == 0xFFFF)
                {
                    break;
                }
                if (value == 0xFFFE)
                {
                    sequence = true;
                }
                else if (!sequence)
                {
                    _glyphOf.TryAdd(value, glyph);
                }
            }
        }
    }

    // PSF2: per glyph, UTF-8 characters up to 0xFF; 0xFE starts combining sequences, which are skipped.
    private void ReadPsf2Table(byte[] bytes, int offset)
    {
        for (int glyph = 0; glyph < GlyphCount && offset < bytes.Length; glyph++)
        {
            int end = Array.IndexOf(bytes, (byte)0xFF, offset);
            if (end < 0)
            {
                end = bytes.Length;
            }
            int sequenceStart = Array.IndexOf(bytes, (byte)0xFE, offset, end - offset);
            int singlesEnd = sequenceStart < 0 ? end : sequenceStart;
            foreach (Rune rune in Encoding.UTF8.GetString(bytes, offset, singlesEnd - offset).EnumerateRunes())
            {
                _glyphOf.TryAdd(rune.Value, glyph);
            }
            offset = end + 1;
        }
    }
}
