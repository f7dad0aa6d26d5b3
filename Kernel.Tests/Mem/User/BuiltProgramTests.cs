using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using Kernel.Mem.User;
using Kernel.Tests.Boot;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>The programs the build really makes pass the loader's checks and carry symbols that name their code.</summary>
[Collection(BootCollection.Name)]
public sealed unsafe class BuiltProgramTests
{
    [Fact]
    public void Every_built_program_is_accepted_with_w_xor_x_segments_and_an_entry_in_text()
    {
        KernelImage.Iso(MenuEntry.Kernel);
        string[] programs = Directory.GetFiles(KernelImage.ProgramsDirectory);
        Assert.True(programs.Length >= 5);
        foreach (string path in programs)
        {
            byte[] bytes = File.ReadAllBytes(path);
            fixed (byte* data = bytes)
            {
                Assert.Equal(ElfStatus.Ok, ElfImage.Parse(data, (ulong)bytes.Length, out ElfImage image));
                Assert.Equal(3, image.LoadSegmentCount);
                Assert.True(image.GetLoadSegment(0).Executable && !image.GetLoadSegment(0).Writable);
                Assert.True(!image.GetLoadSegment(1).Executable && !image.GetLoadSegment(1).Writable);
                Assert.True(!image.GetLoadSegment(2).Executable && image.GetLoadSegment(2).Writable);

                ElfSymbolTable symbols = ElfSymbolTable.Find(data, (ulong)bytes.Length);
                Assert.True(symbols.TryFindFunction(image.Entry, out byte* name, out int length, out ulong offset));
                Assert.Equal("_start", new string((sbyte*)name, 0, length));
                Assert.Equal(0UL, offset);
            }
        }
    }

    [Fact]
    public void A_real_program_names_each_of_its_functions_from_its_first_to_its_last_byte()
    {
        KernelImage.Iso(MenuEntry.Kernel);
        byte[] file = File.ReadAllBytes(Path.Combine(KernelImage.ProgramsDirectory, "tst_malloc"));
        int functions = 0;
        bool sawMain = false;
        foreach (var (name, value, size) in SizedFunctions(file))
        {
            functions++;
            sawMain |= name == "tst_malloc_Program__Main";
            string atStart = FindFunction(file, value, out ulong offset);
            Assert.Equal(0UL, offset);
            Assert.NotNull(atStart);
            string atEnd = FindFunction(file, value + size - 1, out offset);
            Assert.Equal(atStart, atEnd);
            Assert.Equal(size - 1, offset);
        }
        Assert.True(functions > 50, $"only {functions} sized functions");
        Assert.True(sawMain);
    }

    /// <summary>The sized STT_FUNC symbols of a file, read independently of the code under test.</summary>
    private static System.Collections.Generic.IEnumerable<(string Name, ulong Value, ulong Size)> SizedFunctions(byte[] file)
    {
        ulong sections = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(40));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(60));
        for (int i = 0; i < count; i++)
        {
            var header = file.AsSpan((int)sections + i * 64, 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != 2)
            {
                continue;
            }
            int offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
            int size = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
            int strings = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan((int)sections + link * 64 + 24));
            for (int at = offset; at + 24 <= offset + size; at += 24)
            {
                var symbol = file.AsSpan(at, 24);
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(symbol[8..]);
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(symbol[16..]);
                if ((symbol[4] & 0xF) != 2 || length == 0 || BinaryPrimitives.ReadUInt16LittleEndian(symbol[6..]) == 0)
                {
                    continue;
                }
                int name = strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(symbol);
                int end = Array.IndexOf(file, (byte)0, name);
                yield return (Encoding.ASCII.GetString(file, name, end - name), value, length);
            }
        }
    }

    private static string FindFunction(byte[] file, ulong address, out ulong offset)
    {
        fixed (byte* data = file)
        {
            ElfSymbolTable symbols = ElfSymbolTable.Find(data, (ulong)file.Length);
            return symbols.TryFindFunction(address, out byte* name, out int length, out offset)
                ? Encoding.ASCII.GetString(name, length)
                : null;
        }
    }
}
