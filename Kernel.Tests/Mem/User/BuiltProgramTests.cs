using System.IO;
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
}
