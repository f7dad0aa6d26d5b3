using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Kernel.Mem;
using Kernel.Mem.User;
using Xunit;

namespace Kernel.Tests.Mem.User;

public sealed unsafe class ElfImageTests : IDisposable
{
    // An accepted image keeps a pointer into the bytes it was parsed from, and the tests read segments through
    // it after Parse returns: the bytes stay pinned (the GC must not move them) until the test is over.
    private readonly List<GCHandle> _pins = new List<GCHandle>();

    public void Dispose()
    {
        foreach (GCHandle pin in _pins)
        {
            pin.Free();
        }
    }

    private ElfStatus Parse(byte[] bytes, out ElfImage image)
    {
        GCHandle pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        _pins.Add(pin);
        return ElfImage.Parse((byte*)pin.AddrOfPinnedObject(), (ulong)bytes.Length, out image);
    }

    private ElfStatus Parse(ElfBuilder builder) => Parse(builder.Build(), out _);

    [Fact]
    public void A_typical_static_executable_is_accepted_with_its_segments_entry_and_page_count()
    {
        ElfStatus status = Parse(ElfBuilder.Typical().Build(), out ElfImage image);

        Assert.Equal(ElfStatus.Ok, status);
        Assert.Equal(ElfBuilder.TextAddress + 0x10, image.Entry);
        Assert.Equal(3, image.LoadSegmentCount);
        ElfSegment text = image.GetLoadSegment(0);
        Assert.True(text.Executable && !text.Writable);
        Assert.Equal(2UL, text.PageCount);
        ElfSegment data = image.GetLoadSegment(2);
        Assert.True(data.Writable && !data.Executable);
        Assert.Equal(0x40UL, data.FileSize);
        Assert.Equal(0x2040UL, data.MemorySize);
        Assert.Equal(3UL, data.PageCount);
        Assert.Equal(6UL, image.PageCount);
    }

    [Fact]
    public void Every_truncation_of_a_valid_image_is_refused_and_never_read_past_its_end()
    {
        byte[] whole = ElfBuilder.Typical().Build();
        for (int length = 0; length < whole.Length; length++)
        {
            // An exact-size buffer: reading past it would hit unrelated memory (or the guard of the heap).
            byte[] prefix = whole.AsSpan(0, length).ToArray();
            Assert.NotEqual(ElfStatus.Ok, Parse(prefix, out _));
        }
    }

    [Fact]
    public void A_null_buffer_is_truncated()
    {
        Assert.Equal(ElfStatus.Truncated, ElfImage.Parse(null, 100, out _));
    }

    public static TheoryData<string, ElfStatus> HeaderDefects => new TheoryData<string, ElfStatus>
    {
        { "magic", ElfStatus.BadMagic },
        { "class32", ElfStatus.NotElf64 },
        { "bigendian", ElfStatus.NotLittleEndian },
        { "version", ElfStatus.BadVersion },
        { "version32", ElfStatus.BadVersion },
        { "dyn", ElfStatus.NotExecutable },
        { "relocatable", ElfStatus.NotExecutable },
        { "i386", ElfStatus.WrongMachine },
        { "aarch64", ElfStatus.WrongMachine },
        { "ehsize", ElfStatus.BadHeaderSize },
        { "phentsize", ElfStatus.BadProgramHeaderTable },
        { "phnum0", ElfStatus.BadProgramHeaderTable },
        { "phoff-inside-header", ElfStatus.BadProgramHeaderTable },
        { "phoff-past-end", ElfStatus.Truncated },
        { "phoff-wraps", ElfStatus.Truncated },
        { "phnum-huge", ElfStatus.TooManySegments },
    };

    [Theory]
    [MemberData(nameof(HeaderDefects))]
    public void A_malformed_header_is_refused_with_its_reason(string defect, ElfStatus expected)
    {
        ElfBuilder builder = ElfBuilder.Typical();
        switch (defect)
        {
            case "class32": builder.Class = 1; break;
            case "bigendian": builder.Data = 2; break;
            case "version": builder.Version = 0; break;
            case "version32": builder.Version32 = 2; break;
            case "dyn": builder.Type = 3; break;
            case "relocatable": builder.Type = 1; break;
            case "i386": builder.Machine = 3; break;
            case "aarch64": builder.Machine = 183; break;
            case "ehsize": builder.HeaderSize = 52; break;
            case "phentsize": builder.ProgramHeaderSize = 32; break;
            case "phnum0": builder.ProgramHeaderCount = 0; break;
            case "phoff-past-end": builder.ProgramHeaderOffset = 1UL << 40; break;
            case "phoff-wraps": builder.ProgramHeaderOffset = ulong.MaxValue - 55; break;
            case "phnum-huge": builder.ProgramHeaderCount = 65535; break;
        }
        byte[] bytes = builder.Build();
        if (defect == "magic")
        {
            bytes[1] = (byte)'X';
        }
        if (defect == "phoff-inside-header")
        {
            // e_phoff (offset 32) pointing into the ELF header itself.
            BitConverter.GetBytes(16UL).CopyTo(bytes, 32);
        }
        Assert.Equal(expected, Parse(bytes, out _));
    }

    public static TheoryData<string, ElfStatus> SegmentDefects => new TheoryData<string, ElfStatus>
    {
        { "kernel-half", ElfStatus.SegmentOutsideUserRange },
        { "page-zero", ElfStatus.SegmentOutsideUserRange },
        { "below-lowest", ElfStatus.SegmentOutsideUserRange },
        { "into-heap", ElfStatus.SegmentOutsideUserRange },
        { "address-wraps", ElfStatus.SegmentOutsideUserRange },
        { "non-canonical", ElfStatus.SegmentOutsideUserRange },
        { "huge", ElfStatus.ImageTooLarge },
        { "filesz-over-memsz", ElfStatus.FileSizeExceedsMemorySize },
        { "offset-past-end", ElfStatus.SegmentOutsideFile },
        { "offset-wraps", ElfStatus.SegmentOutsideFile },
        { "overlap", ElfStatus.SegmentsOverlap },
        { "share-a-page", ElfStatus.SegmentsOverlap },
        { "align-not-power-of-two", ElfStatus.MisalignedSegment },
        { "align-mismatch", ElfStatus.MisalignedSegment },
        { "writable-executable", ElfStatus.WritableAndExecutable },
        { "interpreter", ElfStatus.UnsupportedSegment },
        { "dynamic", ElfStatus.UnsupportedSegment },
        { "tls", ElfStatus.UnsupportedSegment },
        { "no-load", ElfStatus.NoLoadableSegment },
        { "entry-in-data", ElfStatus.EntryNotExecutable },
        { "entry-outside", ElfStatus.EntryNotExecutable },
        { "seventeen-segments", ElfStatus.TooManySegments },
    };

    [Theory]
    [MemberData(nameof(SegmentDefects))]
    public void A_hostile_segment_is_refused_with_its_reason(string defect, ElfStatus expected)
    {
        ElfBuilder builder = ElfBuilder.Typical();
        ElfBuilder.Segment text = builder.Segments[0];
        ElfBuilder.Segment data = builder.Segments[2];
        switch (defect)
        {
            case "kernel-half": data.Address = 0xFFFF_8000_0000_0000; break;
            case "page-zero": data.Address = 0; break;
            case "below-lowest": data.Address = 0x8000; break;
            case "into-heap": data.Address = UserLayout.HeapBase - 0x1000; data.MemorySize = 0x2000; break;
            case "address-wraps": data.Address = 0x40_3000; data.MemorySize = ulong.MaxValue - 0x1000; break;
            case "non-canonical": data.Address = 0x0001_0000_0000_0000; break;
            case "huge": data.MemorySize = ElfImage.MaxImageSize + 0x1000; break;
            case "filesz-over-memsz": data.MemorySize = 0x20; break;
            case "offset-past-end": data.Offset = 1UL << 30; break;
            case "offset-wraps": data.Offset = ulong.MaxValue - 0x10; break;
            case "overlap": data.Address = ElfBuilder.TextAddress + 0x1000; break;
            case "share-a-page": data.Address = ElfBuilder.RodataAddress + 0x800; break;
            case "align-not-power-of-two": data.Alignment = 0x1800; break;
            case "align-mismatch": data.Offset = 0x3008; break;
            case "writable-executable": data.Flags = ElfBuilder.Read | ElfBuilder.Write | ElfBuilder.Execute; break;
            case "interpreter": builder.Segments.Add(new ElfBuilder.Segment { Type = 3 }); break;
            case "dynamic": builder.Segments.Add(new ElfBuilder.Segment { Type = 2 }); break;
            case "tls": builder.Segments.Add(new ElfBuilder.Segment { Type = 7 }); break;
            case "no-load":
                foreach (ElfBuilder.Segment segment in builder.Segments)
                {
                    segment.Type = 4;
                }
                break;
            case "entry-in-data": builder.Entry = ElfBuilder.DataAddress; break;
            case "entry-outside": builder.Entry = 0x50_0000; break;
            case "seventeen-segments":
                for (int i = 0; i < 15; i++)
                {
                    builder.Add(ElfBuilder.Read, 0x50_0000 + (ulong)i * 0x1000, new byte[16], 16);
                }
                break;
        }
        Assert.NotNull(text);
        Assert.Equal(expected, Parse(builder));
    }

    [Fact]
    public void Segments_of_zero_memory_size_and_note_or_stack_headers_are_ignored()
    {
        ElfBuilder builder = ElfBuilder.Typical();
        builder.Segments.Add(new ElfBuilder.Segment { Type = 4, Address = 0 });
        builder.Segments.Add(new ElfBuilder.Segment { Type = 0x6474E551, Flags = ElfBuilder.Read | ElfBuilder.Write });
        builder.Add(ElfBuilder.Read, 0, Array.Empty<byte>(), 0);

        Assert.Equal(ElfStatus.Ok, Parse(builder.Build(), out ElfImage image));
        Assert.Equal(3, image.LoadSegmentCount);
    }

    [Fact]
    public void Every_status_has_a_description()
    {
        foreach (ElfStatus status in Enum.GetValues<ElfStatus>())
        {
            Assert.NotEqual("unknown ELF status", ElfImage.Describe(status));
        }
    }

    [Fact]
    public void Random_corruption_never_faults_and_whatever_is_accepted_is_inside_user_space_and_disjoint()
    {
        byte[] original = ElfBuilder.Typical().Build();
        var random = new Random(20261130);
        for (int round = 0; round < 20000; round++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = random.Next(1, 6);
            for (int i = 0; i < flips; i++)
            {
                // Mostly the headers, where the structure lives.
                int at = random.Next(4) == 0 ? random.Next(bytes.Length) : random.Next(64 + 3 * 56);
                bytes[at] = (byte)random.Next(256);
            }
            fixed (byte* data = bytes)
            {
                CheckAccepted(data, bytes.Length);
            }
        }
    }

    /// <summary>If the bytes are accepted: every segment inside user space, within the file, W^X, disjoint.</summary>
    private static void CheckAccepted(byte* data, int length)
    {
        if (ElfImage.Parse(data, (ulong)length, out ElfImage image) != ElfStatus.Ok)
        {
            return;
        }
        ulong pages = 0;
        for (int s = 0; s < image.LoadSegmentCount; s++)
        {
            ElfSegment segment = image.GetLoadSegment(s);
            Assert.True(segment.VirtualAddress >= UserLayout.LowestAddress && segment.EndPage <= UserLayout.ImageEnd);
            Assert.True(segment.FileOffset + segment.FileSize <= (ulong)length);
            Assert.False(segment.Writable && segment.Executable);
            for (int t = 0; t < s; t++)
            {
                ElfSegment other = image.GetLoadSegment(t);
                Assert.True(segment.EndPage <= other.FirstPage || other.EndPage <= segment.FirstPage);
            }
            pages += segment.PageCount;
        }
        Assert.Equal(pages, image.PageCount);
        Assert.True(pages * MemConstants.PageSize <= ElfImage.MaxImageSize);
    }
}
