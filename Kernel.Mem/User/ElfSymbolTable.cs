namespace Kernel.Mem.User;

/// <summary>
/// The symbol table (.symtab with its .strtab) of an ELF64 image, for naming the addresses of a program's
/// crash: the function that holds a RIP, the type whose MethodTable an exception object points at. Like
/// <see cref="ElfImage"/> it trusts nothing in the file: every offset and size is checked, a string runs
/// at most to the end of its table, and a missing or malformed table simply finds nothing.
/// </summary>
public readonly unsafe struct ElfSymbolTable
{
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const uint SectionSymbolTable = 2;
    private const byte TypeNone = 0;
    private const byte TypeFunction = 2;
    private const byte TypeMask = 0xF;

    private readonly byte* _data;
    private readonly ulong _symbols;
    private readonly ulong _symbolCount;
    private readonly ulong _strings;
    private readonly ulong _stringsSize;

    private ElfSymbolTable(byte* data, ulong symbols, ulong count, ulong strings, ulong stringsSize)
    {
        _data = data;
        _symbols = symbols;
        _symbolCount = count;
        _strings = strings;
        _stringsSize = stringsSize;
    }

    public bool IsEmpty => _symbolCount == 0;

    /// <summary>Finds the symbol table of the <paramref name="length"/> bytes at <paramref name="data"/>; empty when there is none.</summary>
    public static ElfSymbolTable Find(byte* data, ulong length)
    {
        if (data == null || length < 64)
        {
            return default;
        }
        ulong sectionHeaders = Read64(data + 40);
        ulong entrySize = Read16(data + 58);
        ulong count = Read16(data + 60);
        if (entrySize != SectionHeaderSize || sectionHeaders > length || count * SectionHeaderSize > length - sectionHeaders)
        {
            return default;
        }
        for (ulong i = 0; i < count; i++)
        {
            byte* section = data + sectionHeaders + i * SectionHeaderSize;
            if (Read32(section + 4) != SectionSymbolTable)
            {
                continue;
            }
            ulong offset = Read64(section + 24);
            ulong size = Read64(section + 32);
            ulong link = Read32(section + 40);
            if (offset > length || size > length - offset || link >= count)
            {
                return default;
            }
            byte* stringSection = data + sectionHeaders + link * SectionHeaderSize;
            ulong stringsOffset = Read64(stringSection + 24);
            ulong stringsSize = Read64(stringSection + 32);
            if (stringsOffset > length || stringsSize > length - stringsOffset)
            {
                return default;
            }
            return new ElfSymbolTable(data, offset, size / SymbolSize, stringsOffset, stringsSize);
        }
        return default;
    }

    /// <summary>
    /// The function symbol that holds <paramref name="address"/>: its name (<paramref name="nameLength"/> bytes,
    /// not NUL-terminated) and the address's offset from its start. False when none does.
    /// </summary>
    public bool TryFindFunction(ulong address, out byte* name, out int nameLength, out ulong offset)
    {
        ulong best = ulong.MaxValue;
        ulong bestValue = 0;
        for (ulong i = 0; i < _symbolCount; i++)
        {
            byte* symbol = Symbol(i);
            ulong value = Read64(symbol + 8);
            ulong size = Read64(symbol + 16);
            // Functions, and the untyped labels assembly defines; a defined symbol only (section index not 0).
            byte type = (byte)(symbol[4] & TypeMask);
            if ((type != TypeFunction && type != TypeNone) || Read16(symbol + 6) == 0 || value > address || (size != 0 && address - value >= size))
            {
                continue;
            }
            if (best == ulong.MaxValue || value > bestValue)
            {
                best = i;
                bestValue = value;
            }
        }
        return Named(best, address - bestValue, out name, out nameLength, out offset);
    }

    /// <summary>The symbol whose value is exactly <paramref name="address"/> (a MethodTable, a datum).</summary>
    public bool TryFindExact(ulong address, out byte* name, out int nameLength)
    {
        for (ulong i = 0; i < _symbolCount; i++)
        {
            if (Read64(Symbol(i) + 8) == address && Read32(Symbol(i)) != 0)
            {
                return Named(i, 0, out name, out nameLength, out _);
            }
        }
        name = null;
        nameLength = 0;
        return false;
    }

    private bool Named(ulong index, ulong distance, out byte* name, out int nameLength, out ulong offset)
    {
        name = null;
        nameLength = 0;
        offset = distance;
        if (index >= _symbolCount)
        {
            return false;
        }
        ulong start = Read32(Symbol(index));
        if (start >= _stringsSize)
        {
            return false;
        }
        name = _data + _strings + start;
        ulong limit = _stringsSize - start;
        while ((ulong)nameLength < limit && nameLength < 256 && name[nameLength] != 0)
        {
            nameLength++;
        }
        return nameLength > 0;
    }

    private byte* Symbol(ulong index) => _data + _symbols + index * SymbolSize;

    private static ushort Read16(byte* p) => (ushort)(p[0] | p[1] << 8);

    private static uint Read32(byte* p) => Read16(p) | (uint)Read16(p + 2) << 16;

    private static ulong Read64(byte* p) => Read32(p) | (ulong)Read32(p + 4) << 32;
}
