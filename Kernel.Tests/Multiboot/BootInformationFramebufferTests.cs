using System;
using Kernel.Boot;
using Xunit;

namespace Kernel.Tests.Multiboot;

/// <summary>
/// The framebuffer (tag 8) and ACPI RSDP (tags 14 and 15) that GRUB passes under UEFI instead of VGA text mode
/// and the BIOS areas: the parser takes them only when every field is possible, and names what it refuses.
/// </summary>
public sealed unsafe class BootInformationFramebufferTests : IDisposable
{
    private const ulong QemuFramebuffer = 0x8000_0000;

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

    [Fact]
    public void A_direct_colour_framebuffer_as_grub_gives_it_under_uefi_is_read_whole()
    {
        byte* info = _image.CommandLine("x").Framebuffer(QemuFramebuffer, 4096, 1024, 768).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed);
        Assert.True(parsed.HasFramebuffer);
        BootInformationFramebuffer framebuffer = parsed.Framebuffer;
        Assert.Equal(QemuFramebuffer, framebuffer.Address);
        Assert.Equal(4096u, framebuffer.Pitch);
        Assert.Equal(1024u, framebuffer.Width);
        Assert.Equal(768u, framebuffer.Height);
        Assert.Equal(32, framebuffer.BitsPerPixel);
        Assert.Equal((16, 8, 8, 8, 0, 8), (framebuffer.RedPosition, framebuffer.RedSize, framebuffer.GreenPosition,
            framebuffer.GreenSize, framebuffer.BluePosition, framebuffer.BlueSize));
        Assert.Equal(4096UL * 768, framebuffer.Size);
        Assert.Equal("x", BootInformationImage.ReadString(info, parsed.CommandLineOffset));
    }

    [Fact]
    public void The_vga_text_mode_tag_of_a_bios_boot_is_no_framebuffer_and_no_problem()
    {
        byte* info = _image.Framebuffer(0xB8000, 160, 80, 25, bpp: 16, type: 2, colorInfo: false).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed);
        Assert.False(parsed.HasFramebuffer);
    }

    [Theory]
    [InlineData((byte)0, (byte)8)]
    [InlineData((byte)1, (byte)24)]
    [InlineData((byte)1, (byte)16)]
    [InlineData((byte)7, (byte)32)]
    public void Indexed_colour_and_pixels_other_than_32_bits_are_named_unsupported(byte type, byte bpp)
    {
        byte* info = _image.Framebuffer(QemuFramebuffer, 4096, 1024, 768, bpp, type).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.FramebufferUnsupported);
        Assert.False(parsed.HasFramebuffer);
    }

    [Fact]
    public void A_direct_colour_tag_without_its_colour_bytes_is_too_short()
    {
        byte* info = _image.Framebuffer(QemuFramebuffer, 4096, 1024, 768, colorInfo: false).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.TagTooShort);
        Assert.False(parsed.HasFramebuffer);
    }

    [Fact]
    public void A_framebuffer_tag_shorter_than_its_common_fields_is_too_short_and_the_walk_goes_on()
    {
        byte* info = _image.Tag(8, new byte[20]).CommandLine("after").End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.TagTooShort);
        Assert.False(parsed.HasFramebuffer);
        Assert.Equal("after", BootInformationImage.ReadString(info, parsed.CommandLineOffset));
    }

    public static TheoryData<string, ulong, uint, uint, uint, byte, byte, byte> MalformedFramebuffers => new()
    {
        { "no width", QemuFramebuffer, 4096u, 0u, 768u, (byte)16, (byte)8, (byte)0 },
        { "no height", QemuFramebuffer, 4096u, 1024u, 0u, (byte)16, (byte)8, (byte)0 },
        { "pitch shorter than a line", QemuFramebuffer, 4092u, 1024u, 768u, (byte)16, (byte)8, (byte)0 },
        { "address 0", 0UL, 4096u, 1024u, 768u, (byte)16, (byte)8, (byte)0 },
        { "address not pixel-aligned", QemuFramebuffer + 2, 4096u, 1024u, 768u, (byte)16, (byte)8, (byte)0 },
        { "address past 52 bits", 1UL << 52, 4096u, 1024u, 768u, (byte)16, (byte)8, (byte)0 },
        { "frame runs past 52 bits", (1UL << 52) - 4096, 4096u, 1024u, 768u, (byte)16, (byte)8, (byte)0 },
        { "frame wraps the address space", ulong.MaxValue - 3, 0xFFFF_FFFFu, 1024u, 0xFFFF_FFFFu, (byte)16, (byte)8, (byte)0 },
        { "red field 0 bits", QemuFramebuffer, 4096u, 1024u, 768u, (byte)16, (byte)0, (byte)0 },
        { "red field 9 bits", QemuFramebuffer, 4096u, 1024u, 768u, (byte)16, (byte)9, (byte)0 },
        { "red field past the pixel", QemuFramebuffer, 4096u, 1024u, 768u, (byte)28, (byte)8, (byte)0 },
        { "blue field past the pixel", QemuFramebuffer, 4096u, 1024u, 768u, (byte)16, (byte)8, (byte)250 },
    };

    [Theory]
    [MemberData(nameof(MalformedFramebuffers))]
    public void A_framebuffer_with_impossible_fields_is_refused_with_a_problem(string what, ulong address, uint pitch, uint width,
        uint height, byte redPosition, byte redSize, byte bluePosition)
    {
        byte* info = _image.Framebuffer(address, pitch, width, height, redPosition: redPosition, redSize: redSize,
            bluePosition: bluePosition).End().Place();

        BootInformation parsed = ParseOk(info);

        Assert.False(parsed.HasFramebuffer, what);
        AssertProblems(parsed, BootInformationProblemKind.FramebufferMalformed);
    }

    [Fact]
    public void An_acpi_1_rsdp_copy_is_taken_from_tag_14()
    {
        byte* info = _image.Tag(14, BootInformationImage.RsdpV1(0x7FE_1234)).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed);
        Assert.NotEqual(0u, parsed.RsdpOffset);
        Assert.False(parsed.RsdpIsExtended);
        Assert.Equal(0x7FE_1234u, *(uint*)(info + parsed.RsdpOffset + 16));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_acpi_2_rsdp_copy_is_preferred_whatever_the_tag_order(bool newFirst)
    {
        byte[] old = BootInformationImage.RsdpV1(0x1111);
        byte[] @new = BootInformationImage.RsdpV2(0x2222_0000_0000);
        byte* info = (newFirst ? _image.Tag(15, @new).Tag(14, old) : _image.Tag(14, old).Tag(15, @new)).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed);
        Assert.True(parsed.RsdpIsExtended);
        Assert.Equal(0x2222_0000_0000UL, *(ulong*)(info + parsed.RsdpOffset + 24));
    }

    public static TheoryData<string, uint, byte[], int> MalformedRsdps => new()
    {
        { "signature", 14u, BootInformationImage.RsdpV1(0x1000, r => r[0] = (byte)'X'), (int)BootInformationProblemKind.RsdpBadSignature },
        { "checksum", 14u, BootInformationImage.RsdpV1(0x1000, r => r[16]++), (int)BootInformationProblemKind.RsdpBadChecksum },
        { "short v1", 14u, new byte[19], (int)BootInformationProblemKind.TagTooShort },
        { "short v2", 15u, BootInformationImage.RsdpV1(0x1000), (int)BootInformationProblemKind.TagTooShort },
        { "v2 signature", 15u, BootInformationImage.RsdpV2(0x1000, forge: r => r[7] = 0), (int)BootInformationProblemKind.RsdpBadSignature },
        { "v2 extended checksum", 15u, BootInformationImage.RsdpV2(0x1000, forge: r => r[24]++), (int)BootInformationProblemKind.RsdpBadChecksum },
        { "v2 length under 36", 15u, BootInformationImage.RsdpV2(0x1000, length: 20), (int)BootInformationProblemKind.RsdpBadLength },
        { "v2 length past the tag", 15u, BootInformationImage.RsdpV2(0x1000, length: 4096), (int)BootInformationProblemKind.RsdpBadLength },
    };

    [Theory]
    [MemberData(nameof(MalformedRsdps))]
    public void A_malformed_rsdp_copy_is_refused_with_a_problem(string what, uint type, byte[] payload, int kind)
    {
        byte* info = _image.Tag(type, payload).End().Place();

        BootInformation parsed = ParseOk(info);

        Assert.True(parsed.RsdpOffset == 0, what);
        AssertProblems(parsed, (BootInformationProblemKind)kind);
    }

    [Fact]
    public void A_malformed_acpi_2_copy_leaves_a_good_acpi_1_copy_in_use()
    {
        byte* info = _image.Tag(14, BootInformationImage.RsdpV1(0x1111))
            .Tag(15, BootInformationImage.RsdpV2(0x2222, forge: r => r[30]++)).End().Place();

        BootInformation parsed = ParseOk(info);

        AssertProblems(parsed, BootInformationProblemKind.RsdpBadChecksum);
        Assert.False(parsed.RsdpIsExtended);
        Assert.Equal(0x1111u, *(uint*)(info + parsed.RsdpOffset + 16));
    }
}
