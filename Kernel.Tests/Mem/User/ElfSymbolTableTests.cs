using System;
using System.Text;
using Kernel.Mem.User;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// The symbol table that names a crashed program's RIP trusts nothing in the file: section headers,
/// offsets and sizes that lie, and names without an end, find nothing or stop at the table's end (a real
/// program's table: <see cref="BuiltProgramTests"/>).
/// </summary>
public sealed unsafe class ElfSymbolTableTests
{
    private const ulong Text = 0x40_0000;

    private static ElfSymbolBuilder Typical() => new ElfSymbolBuilder()
        .Add("_start", Text, 0x10)
        .Add("Program.Main", Text + 0x100, 0x80)
        .Add("label", Text + 0x200, 0, ElfSymbolBuilder.NoType)
        .Add("s_table", Text + 0x1000, 0x40, ElfSymbolBuilder.Object);

    private static string FindFunction(byte[] file, ulong address, out ulong offset)
    {
        offset = 0;
        fixed (byte* data = file)
        {
            ElfSymbolTable symbols = ElfSymbolTable.Find(data, (ulong)file.Length);
            return symbols.TryFindFunction(address, out byte* name, out int length, out offset)
                ? Encoding.ASCII.GetString(name, length)
                : null;
        }
    }

    private static string FindFunction(byte[] file, ulong address) => FindFunction(file, address, out _);

    private static bool IsEmpty(byte[] file, int length)
    {
        fixed (byte* data = file)
        {
            return ElfSymbolTable.Find(data, (ulong)length).IsEmpty;
        }
    }

    [Fact]
    public void A_well_formed_table_names_functions_labels_and_exact_symbols()
    {
        byte[] file = Typical().Build();

        Assert.Equal("_start", FindFunction(file, Text));
        Assert.Equal("Program.Main", FindFunction(file, Text + 0x17F, out ulong offset));
        Assert.Equal(0x7FUL, offset);
        Assert.Null(FindFunction(file, Text + 0x180));
        // An untyped label of no size holds everything above it up to the next symbol.
        Assert.Equal("label", FindFunction(file, Text + 0x234, out offset));
        Assert.Equal(0x34UL, offset);
        Assert.Null(FindFunction(file, Text - 1));
        fixed (byte* data = file)
        {
            ElfSymbolTable symbols = ElfSymbolTable.Find(data, (ulong)file.Length);
            Assert.True(symbols.TryFindExact(Text + 0x1000, out byte* name, out int length));
            Assert.Equal("s_table", Encoding.ASCII.GetString(name, length));
            Assert.False(symbols.TryFindExact(Text + 0x1001, out _, out _));
        }
    }

    [Fact]
    public void Every_truncation_of_the_file_finds_nothing_or_only_what_lies_inside()
    {
        byte[] file = Typical().Build();
        for (int length = 0; length < file.Length; length++)
        {
            // The section headers are last: any shorter file cuts them, so nothing may be found.
            Assert.True(IsEmpty(file, length), $"a table was found in the first {length} bytes");
        }
        Assert.False(IsEmpty(file, file.Length));
        Assert.True(IsEmpty(null, 0));
    }

    [Fact]
    public void Section_headers_past_the_end_or_of_another_size_are_refused()
    {
        var builder = Typical();
        byte[] file = builder.Build();

        byte[] past = (byte[])file.Clone();
        ElfSymbolBuilder.Write64(past, 40, (ulong)file.Length + 1);
        byte[] huge = (byte[])file.Clone();
        ElfSymbolBuilder.Write64(huge, 40, ulong.MaxValue - 10);
        byte[] tooMany = (byte[])file.Clone();
        ElfSymbolBuilder.Write16(tooMany, 60, ushort.MaxValue);
        byte[] otherSize = (byte[])file.Clone();
        ElfSymbolBuilder.Write16(otherSize, 58, 40);

        Assert.True(IsEmpty(past, past.Length));
        Assert.True(IsEmpty(huge, huge.Length));
        Assert.True(IsEmpty(tooMany, tooMany.Length));
        Assert.True(IsEmpty(otherSize, otherSize.Length));
    }

    public static TheoryData<string, int, ulong> LyingFields => new TheoryData<string, int, ulong>
    {
        // (what, which field: 0 symtab offset, 1 symtab size, 2 link, 3 strtab offset, 4 strtab size, value)
        { "symbols start past the end", 0, 1_000_000 },
        { "symbols start at the very end with a size", 0, ulong.MaxValue },
        { "symbols run past the end", 1, 1_000_000 },
        { "symbols' offset plus size wraps", 1, ulong.MaxValue - 8 },
        { "the string table's index is past the section count", 2, 3 },
        { "the string table's index is huge", 2, uint.MaxValue },
        { "strings start past the end", 3, 1_000_000 },
        { "strings' offset plus size wraps", 4, ulong.MaxValue - 8 },
        { "strings run past the end", 4, 1_000_000 },
    };

    [Theory]
    [MemberData(nameof(LyingFields))]
    public void A_section_header_that_lies_finds_nothing(string what, int field, ulong value)
    {
        var builder = Typical();
        byte[] file = builder.Build();
        switch (field)
        {
            case 0:
                ElfSymbolBuilder.Write64(file, builder.SymbolSectionHeader + 24, value);
                break;
            case 1:
                ElfSymbolBuilder.Write64(file, builder.SymbolSectionHeader + 32, value);
                break;
            case 2:
                ElfSymbolBuilder.Write32(file, builder.SymbolSectionHeader + 40, (uint)value);
                break;
            case 3:
                ElfSymbolBuilder.Write64(file, builder.StringSectionHeader + 24, value);
                break;
            default:
                ElfSymbolBuilder.Write64(file, builder.StringSectionHeader + 32, value);
                break;
        }

        Assert.True(IsEmpty(file, file.Length), what);
        Assert.Null(FindFunction(file, Text + 0x100));
    }

    [Fact]
    public void A_name_without_its_nul_ends_at_the_end_of_the_string_table()
    {
        var builder = new ElfSymbolBuilder().Add("_start", Text, 0x10).Add("unterminated", Text + 0x10, 0x10);
        byte[] file = builder.Build();
        // The table now ends right before the last name's NUL; the padding after it is made non-zero too.
        ElfSymbolBuilder.Write64(file, builder.StringSectionHeader + 32, (ulong)builder.StringsSize - 1);
        for (int at = builder.StringsOffset + builder.StringsSize - 1; at < builder.SymbolsOffset; at++)
        {
            file[at] = (byte)'X';
        }

        Assert.Equal("unterminated", FindFunction(file, Text + 0x18));
        Assert.Equal("_start", FindFunction(file, Text + 4));
    }

    [Fact]
    public void A_name_index_past_the_string_table_names_nothing()
    {
        var builder = Typical();
        byte[] file = builder.Build();
        int main = builder.SymbolsOffset + 2 * ElfSymbolBuilder.SymbolSize;
        ElfSymbolBuilder.Write32(file, main, (uint)builder.StringsSize);
        int start = builder.SymbolsOffset + ElfSymbolBuilder.SymbolSize;
        ElfSymbolBuilder.Write32(file, start, uint.MaxValue);

        Assert.Null(FindFunction(file, Text + 0x120));
        Assert.Null(FindFunction(file, Text + 4));
        Assert.Equal("label", FindFunction(file, Text + 0x200));
    }

    [Fact]
    public void A_symbol_table_size_that_is_not_a_whole_number_of_symbols_ignores_the_partial_one()
    {
        var builder = Typical();
        byte[] file = builder.Build();
        // Cut the last symbol (s_table) short by one byte.
        ElfSymbolBuilder.Write64(file, builder.SymbolSectionHeader + 32, 5 * ElfSymbolBuilder.SymbolSize - 1);

        fixed (byte* data = file)
        {
            ElfSymbolTable symbols = ElfSymbolTable.Find(data, (ulong)file.Length);
            Assert.False(symbols.TryFindExact(Text + 0x1000, out _, out _));
        }
        Assert.Equal("label", FindFunction(file, Text + 0x200));
    }

    [Fact]
    public void Undefined_symbols_and_objects_never_name_code()
    {
        byte[] file = new ElfSymbolBuilder()
            .Add("undefined", Text, 0x100, ElfSymbolBuilder.Function, section: 0)
            .Add("data", Text, 0x100, ElfSymbolBuilder.Object)
            .Build();

        Assert.Null(FindFunction(file, Text + 8));
    }

    [Fact]
    public void A_very_long_name_is_cut_at_256_bytes()
    {
        byte[] file = new ElfSymbolBuilder().Add(new string('n', 1000), Text, 0x10).Build();

        Assert.Equal(new string('n', 256), FindFunction(file, Text));
    }
}
