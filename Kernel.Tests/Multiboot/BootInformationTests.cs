using System;
using Kernel.Boot;
using Xunit;

namespace Kernel.Tests.Multiboot;

/// <summary>
/// The kernel's multiboot2 parser (Kernel/Boot/BootInformation.cs, compiled into this project) reads what
/// GRUB passes and refuses or skips, with a recorded problem, whatever is malformed: it never reads past the
/// structure nor trusts a size.
/// </summary>
public sealed unsafe class BootInformationTests : IDisposable
{
    private const uint Usable = 1;
    private const uint Reserved = 2;

    private readonly BootInformationImage _image = new BootInformationImage();

    public void Dispose() => _image.Dispose();

    private BootInformation ParseOk(byte* info)
    {
        Assert.Equal(BootInformationStatus.Ok, BootInformation.Parse(info, _image.Available, out BootInformation parsed));
        return parsed;
    }

    private static void AssertProblems(BootInformation parsed, params BootInformationProblemKind[] kinds)
    {
        Assert.Equal(kinds.Length, parsed.ProblemCount);
        for (int i = 0; i < kinds.Length; i++)
        {
            Assert.Equal(kinds[i], parsed.Problem(i).Kind);
        }
    }

    private static (ulong Base, ulong Length, uint Type) Entry(byte* info, BootInformation parsed, int index)
    {
        byte* entry = info + parsed.MemoryMapOffset + (ulong)index * parsed.MemoryMapEntrySize;
        return (*(ulong*)entry, *(ulong*)(entry + 8), *(uint*)(entry + 16));
    }

    [Fact]
    public void A_structure_as_grub_makes_it_is_read_whole()
    {
        byte* info = _image.CommandLine("selftest panic=exit").BootLoaderName("GRUB 2.12")
            .Module(0x20_0000, 0x23_0000, "symbols").Module(0x30_0000, 0x30_0000, "empty")
            .MemoryMap(24, (0, 0x9FC00, Usable), (0x9FC00, 0x400, Reserved), (0x10_0000, 0x1FF0_0000, Usable)).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed);
        Assert.Equal((uint)_image.Length, parsed.TotalSize);
        Assert.Equal("selftest panic=exit", BootInformationImage.ReadString(info, parsed.CommandLineOffset));
        Assert.Equal("GRUB 2.12", BootInformationImage.ReadString(info, parsed.BootLoaderNameOffset));
        Assert.Equal(2, parsed.ModuleCount);
        Assert.Equal(0x20_0000UL, parsed.Module(0).Start);
        Assert.Equal(0x23_0000UL, parsed.Module(0).End);
        Assert.Equal("symbols", BootInformationImage.ReadString(info, parsed.Module(0).NameOffset));
        Assert.Equal("empty", BootInformationImage.ReadString(info, parsed.Module(1).NameOffset));
        Assert.Equal(3, parsed.MemoryMapCount);
        Assert.Equal((0x10_0000UL, 0x1FF0_0000UL, Usable), Entry(info, parsed, 2));
    }

    [Fact]
    public void Memory_map_entries_larger_than_24_bytes_are_stepped_over_by_their_size()
    {
        byte* info = _image.MemoryMap(32, (0, 0x1000, Usable), (0x10_0000, 0x100_0000, Reserved)).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed);
        Assert.Equal(2, parsed.MemoryMapCount);
        Assert.Equal(32u, parsed.MemoryMapEntrySize);
        Assert.Equal((0x10_0000UL, 0x100_0000UL, Reserved), Entry(info, parsed, 1));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(7u)]
    public void A_total_size_smaller_than_the_header_is_refused(uint totalSize)
    {
        byte* info = _image.End().Place(totalSize);

        Assert.Equal(BootInformationStatus.TotalSizeTooSmall, BootInformation.Parse(info, _image.Available, out BootInformation parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void A_total_size_beyond_the_memory_behind_it_is_refused()
    {
        byte* info = _image.CommandLine("x").End().Place(totalSize: 0xFFFF_FFF8);

        Assert.Equal(BootInformationStatus.TotalSizeBeyondMemory, BootInformation.Parse(info, _image.Available, out BootInformation parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void A_structure_that_is_not_8_byte_aligned_is_refused()
    {
        byte* info = _image.CommandLine("x").End().Place(misalignBy: 4);

        Assert.Equal(BootInformationStatus.Misaligned, BootInformation.Parse(info, _image.Available, out BootInformation parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    [InlineData(7u)]
    public void A_tag_smaller_than_its_header_stops_the_walk_and_keeps_what_came_before(uint size)
    {
        byte* info = _image.CommandLine("kept").Tag(21, new byte[8], size).BootLoaderName("never read").End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.TagSmallerThanHeader);
        Assert.Equal(21u, parsed.Problem(0).TagType);
        Assert.Equal("kept", BootInformationImage.ReadString(info, parsed.CommandLineOffset));
        Assert.Equal(0u, parsed.BootLoaderNameOffset);
    }

    [Fact]
    public void A_tag_running_past_the_end_of_the_information_is_not_used()
    {
        byte* info = _image.CommandLine("kept").MemoryMap(24, (0, 0x1000, Usable)).Place();
        // The memory map tag claims 8 bytes more than the structure holds.
        uint mapOffset = (uint)(_image.Length - 40);
        *(uint*)(info + mapOffset + 4) = 48;

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.TagPastEnd);
        Assert.Equal(mapOffset, parsed.Problem(0).TagOffset);
        Assert.Equal(0, parsed.MemoryMapCount);
        Assert.Equal("kept", BootInformationImage.ReadString(info, parsed.CommandLineOffset));
    }

    [Theory]
    [InlineData(8u)]
    [InlineData(12u)]
    public void A_memory_map_tag_shorter_than_its_fields_is_skipped_instead_of_underflowing(uint size)
    {
        byte* info = _image.Tag(6, new byte[size - 8], size).CommandLine("after").End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.TagTooShort);
        Assert.Equal(0, parsed.MemoryMapCount);
        Assert.Equal("after", BootInformationImage.ReadString(info, parsed.CommandLineOffset));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(16u)]
    [InlineData(20u)]
    [InlineData(28u)]
    public void A_memory_map_whose_entry_size_is_0_smaller_than_an_entry_or_not_a_multiple_of_8_is_skipped(uint entrySize)
    {
        byte* info = _image.MemoryMap(entrySize, (0, 0x1000, Usable), (0x10_0000, 0x10_0000, Usable)).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.BadMemoryMapEntrySize);
        Assert.Equal(0, parsed.MemoryMapCount);
    }

    [Fact]
    public void A_memory_map_ending_in_a_partial_entry_keeps_the_whole_entries()
    {
        var payload = new byte[8 + 2 * 24 + 8];
        BitConverter.GetBytes(24u).CopyTo(payload, 0);
        BitConverter.GetBytes(0x5000UL).CopyTo(payload, 8 + 24 + 8);
        byte* info = _image.Tag(6, payload).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.MemoryMapTrailingBytes);
        Assert.Equal(2, parsed.MemoryMapCount);
        Assert.Equal(0x5000UL, Entry(info, parsed, 1).Length);
    }

    [Fact]
    public void A_module_that_ends_before_it_starts_is_skipped()
    {
        byte* info = _image.Module(0x30_0000, 0x20_0000, "backwards").Module(0x40_0000, 0x40_1000, "good").End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.ModuleEndBeforeStart);
        Assert.Equal(1, parsed.ModuleCount);
        Assert.Equal("good", BootInformationImage.ReadString(info, parsed.Module(0).NameOffset));
    }

    [Fact]
    public void A_module_tag_too_short_for_its_range_is_skipped()
    {
        byte* info = _image.Tag(3, new byte[4], 12).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.TagTooShort);
        Assert.Equal(0, parsed.ModuleCount);
    }

    [Fact]
    public void A_module_name_without_a_terminator_is_skipped()
    {
        var payload = new byte[8 + 8];
        BitConverter.GetBytes(0x20_0000u).CopyTo(payload, 0);
        BitConverter.GetBytes(0x20_1000u).CopyTo(payload, 4);
        "symbols!"u8.CopyTo(payload.AsSpan(8));
        byte* info = _image.Tag(3, payload).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.StringNotTerminated);
        Assert.Equal(0, parsed.ModuleCount);
    }

    [Fact]
    public void Modules_beyond_what_the_kernel_keeps_are_skipped_and_reported()
    {
        for (uint i = 0; i <= BootInformation.MaxModules; i++)
        {
            _image.Module(0x100_0000 + i * 0x1000, 0x100_1000 + i * 0x1000, "m" + i);
        }
        byte* info = _image.End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.TooManyModules);
        Assert.Equal(BootInformation.MaxModules, parsed.ModuleCount);
    }

    [Fact]
    public void A_command_line_without_a_terminator_is_skipped()
    {
        byte* info = _image.Tag(1, "panic=exit"u8.ToArray()).BootLoaderName("GRUB").End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.StringNotTerminated);
        Assert.Equal(1u, parsed.Problem(0).TagType);
        Assert.Equal(0u, parsed.CommandLineOffset);
        Assert.Equal("GRUB", BootInformationImage.ReadString(info, parsed.BootLoaderNameOffset));
    }

    [Fact]
    public void A_tag_whose_size_is_not_a_multiple_of_8_is_followed_by_the_next_tag_at_the_8_byte_boundary()
    {
        // "ab\0" makes an 11-byte tag: the next one starts 5 bytes of padding later.
        byte* info = _image.CommandLine("ab").BootLoaderName("GRUB").End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed);
        Assert.Equal(11u, *(uint*)(info + 8 + 4));
        Assert.Equal(8u + 16u + 8u, parsed.BootLoaderNameOffset);
        Assert.Equal("GRUB", BootInformationImage.ReadString(info, parsed.BootLoaderNameOffset));
    }

    [Fact]
    public void Tags_without_an_end_tag_are_read_and_the_missing_end_reported()
    {
        byte* info = _image.CommandLine("no end").Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.MissingEndTag);
        Assert.Equal("no end", BootInformationImage.ReadString(info, parsed.CommandLineOffset));
    }

    [Fact]
    public void Problems_beyond_the_recorded_ones_are_still_counted()
    {
        for (int i = 0; i < BootInformation.MaxProblems + 3; i++)
        {
            _image.Module(0x30_0000, 0x20_0000, "backwards");
        }
        byte* info = _image.End().Place();

        BootInformation parsed = ParseOk(info);

        Assert.Equal(BootInformation.MaxProblems + 3, parsed.ProblemCount);
        Assert.Equal(BootInformationProblemKind.ModuleEndBeforeStart, parsed.Problem(BootInformation.MaxProblems - 1).Kind);
    }
}
