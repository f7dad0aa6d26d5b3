using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// Writes the parts of an ELF64 file that <see cref="Kernel.Mem.User.ElfSymbolTable"/> reads: the header's
/// section-header fields, a string table, a symbol table and the section headers (null, .symtab, .strtab),
/// laid out in that order, so tests can break any of them. Offsets of each part are public for patching.
/// </summary>
internal sealed class ElfSymbolBuilder
{
    public const int HeaderSize = 64;
    public const int SectionHeaderSize = 64;
    public const int SymbolSize = 24;
    public const byte Function = 2;
    public const byte Object = 1;
    public const byte NoType = 0;
    public const ushort TextSection = 1;

    private readonly List<(string Name, byte Type, ushort Section, ulong Value, ulong Size)> _symbols = new();

    public int StringsOffset => HeaderSize;
    public int StringsSize { get; private set; }
    public int SymbolsOffset { get; private set; }
    public int SectionHeadersOffset { get; private set; }

    /// <summary>The section header of .symtab (index 1) and of .strtab (index 2).</summary>
    public int SymbolSectionHeader => SectionHeadersOffset + SectionHeaderSize;
    public int StringSectionHeader => SectionHeadersOffset + 2 * SectionHeaderSize;

    public ElfSymbolBuilder Add(string name, ulong value, ulong size, byte type = Function, ushort section = TextSection)
    {
        _symbols.Add((name, type, section, value, size));
        return this;
    }

    public byte[] Build()
    {
        var strings = new List<byte> { 0 };
        var nameOffsets = new List<int>();
        foreach (var symbol in _symbols)
        {
            nameOffsets.Add(symbol.Name.Length == 0 ? 0 : strings.Count);
            if (symbol.Name.Length > 0)
            {
                strings.AddRange(Encoding.ASCII.GetBytes(symbol.Name));
                strings.Add(0);
            }
        }
        StringsSize = strings.Count;
        SymbolsOffset = Align(StringsOffset + StringsSize);
        // Symbol 0 is the null symbol, as in every real table.
        int symbolsSize = (_symbols.Count + 1) * SymbolSize;
        SectionHeadersOffset = Align(SymbolsOffset + symbolsSize);
        byte[] file = new byte[SectionHeadersOffset + 3 * SectionHeaderSize];

        file[0] = 0x7F;
        file[1] = (byte)'E';
        file[2] = (byte)'L';
        file[3] = (byte)'F';
        Write64(file, 40, (ulong)SectionHeadersOffset);
        Write16(file, 58, SectionHeaderSize);
        Write16(file, 60, 3);
        strings.CopyTo(file, StringsOffset);
        for (int i = 0; i < _symbols.Count; i++)
        {
            int at = SymbolsOffset + (i + 1) * SymbolSize;
            Write32(file, at, (uint)nameOffsets[i]);
            file[at + 4] = _symbols[i].Type;
            Write16(file, at + 6, _symbols[i].Section);
            Write64(file, at + 8, _symbols[i].Value);
            Write64(file, at + 16, _symbols[i].Size);
        }
        WriteSection(file, SymbolSectionHeader, type: 2, SymbolsOffset, (ulong)symbolsSize, link: 2);
        WriteSection(file, StringSectionHeader, type: 3, StringsOffset, (ulong)StringsSize, link: 0);
        return file;
    }

    public static void Write16(byte[] file, int at, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at), value);

    public static void Write32(byte[] file, int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at), value);

    public static void Write64(byte[] file, int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at), value);

    private static void WriteSection(byte[] file, int at, uint type, int offset, ulong size, uint link)
    {
        Write32(file, at + 4, type);
        Write64(file, at + 24, (ulong)offset);
        Write64(file, at + 32, size);
        Write32(file, at + 40, link);
    }

    private static int Align(int offset) => (offset + 7) & ~7;
}
