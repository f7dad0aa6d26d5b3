using System;
using System.Collections.Generic;
using System.IO;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// Writes ELF64 executables for the loader's tests: by default a well-formed image shaped like the ones the
/// build links (text r-x at 0x40_0000, rodata r--, data rw- with .bss), with every field settable so a test
/// can break exactly one thing. Segment contents are recognisable patterns.
/// </summary>
internal sealed class ElfBuilder
{
    public const ulong TextAddress = 0x40_0000;
    public const ulong RodataAddress = 0x40_2000;
    public const ulong DataAddress = 0x40_3000;
    public const uint Execute = 1;
    public const uint Write = 2;
    public const uint Read = 4;
    public const uint Load = 1;

    public sealed class Segment
    {
        public uint Type = Load;
        public uint Flags;
        public ulong Offset;
        public ulong Address;
        public ulong FileSize;
        public ulong MemorySize;
        public ulong Alignment = 0x1000;
        public byte[] Contents = Array.Empty<byte>();
    }

    public byte Class = 2;
    public byte Data = 1;
    public byte Version = 1;
    public ushort Type = 2;
    public ushort Machine = 62;
    public uint Version32 = 1;
    public ulong Entry = TextAddress + 0x10;
    public ushort HeaderSize = 64;
    public ushort ProgramHeaderSize = 56;
    public ulong? ProgramHeaderOffset;
    public int? ProgramHeaderCount;
    public List<Segment> Segments { get; } = new List<Segment>();

    /// <summary>The usual three segments: 0x1800 bytes of text, 0x100 of rodata, 0x40 of data and 0x2000 of .bss.</summary>
    public static ElfBuilder Typical()
    {
        var builder = new ElfBuilder();
        builder.Add(Read | Execute, TextAddress, Pattern(0x1800, 0x11), 0x1800);
        builder.Add(Read, RodataAddress, Pattern(0x100, 0x22), 0x100);
        builder.Add(Read | Write, DataAddress, Pattern(0x40, 0x33), 0x2040);
        return builder;
    }

    public static byte[] Pattern(int length, byte seed)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + i * 7);
        }
        return bytes;
    }

    public Segment Add(uint flags, ulong address, byte[] contents, ulong memorySize)
    {
        var segment = new Segment { Flags = flags, Address = address, Contents = contents, FileSize = (ulong)contents.Length, MemorySize = memorySize };
        Segments.Add(segment);
        return segment;
    }

    /// <summary>
    /// Lays the file out: header, program headers, then each segment's contents at an offset congruent to
    /// its address modulo the page size (unless the test fixed the offset).
    /// </summary>
    public byte[] Build()
    {
        ulong phoff = ProgramHeaderOffset ?? 64;
        ulong tableEnd = phoff + (ulong)Segments.Count * 56;
        bool tableFits = phoff <= MaxFile && tableEnd <= MaxFile;
        ulong position = Align(tableFits ? tableEnd : 64, 0x1000);
        foreach (Segment segment in Segments)
        {
            if (segment.Offset == 0)
            {
                segment.Offset = position + (segment.Address & 0xFFF);
                position = Align(segment.Offset + (ulong)segment.Contents.Length, 0x1000);
            }
        }
        // The file ends where its last byte of content does, as ld writes it: no padding to truncate harmlessly.
        ulong length = tableFits ? Math.Max(64, tableEnd) : 64;
        foreach (Segment segment in Segments)
        {
            ulong end = segment.Offset + (ulong)segment.Contents.Length;
            if (end >= segment.Offset && end <= MaxFile)
            {
                length = Math.Max(length, end);
            }
        }

        var stream = new MemoryStream(new byte[length]);
        var writer = new BinaryWriter(stream);
        writer.Write(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', Class, Data, Version, 0 });
        writer.Write(new byte[8]);
        writer.Write(Type);
        writer.Write(Machine);
        writer.Write(Version32);
        writer.Write(Entry);
        writer.Write(phoff);
        writer.Write(0UL);
        writer.Write(0U);
        writer.Write(HeaderSize);
        writer.Write(ProgramHeaderSize);
        writer.Write((ushort)(ProgramHeaderCount ?? Segments.Count));
        writer.Write((ushort)0);
        writer.Write((ushort)0);
        writer.Write((ushort)0);

        foreach (Segment segment in tableFits ? Segments : new List<Segment>())
        {
            stream.Position = (long)phoff + 56 * Segments.IndexOf(segment);
            writer.Write(segment.Type);
            writer.Write(segment.Flags);
            writer.Write(segment.Offset);
            writer.Write(segment.Address);
            writer.Write(segment.Address);
            writer.Write(segment.FileSize);
            writer.Write(segment.MemorySize);
            writer.Write(segment.Alignment);
        }
        foreach (Segment segment in Segments)
        {
            ulong end = segment.Offset + (ulong)segment.Contents.Length;
            if (end >= segment.Offset && end <= length)
            {
                stream.Position = (long)segment.Offset;
                writer.Write(segment.Contents);
            }
        }
        return stream.ToArray();
    }

    private const ulong MaxFile = 1UL << 24;

    private static ulong Align(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
