using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Kernel.Tests.Multiboot;

/// <summary>
/// Builds a multiboot2 boot information structure tag by tag, as GRUB lays it out (header, 8-byte-aligned
/// tags), and places it in 8-byte-aligned host memory followed by a guard of readable bytes the parser
/// must never need. Fields can be forged to make it malformed.
/// </summary>
internal sealed unsafe class BootInformationImage : IDisposable
{
    private readonly List<byte> _bytes = new List<byte>(new byte[8]);
    private void* _memory;

    /// <summary>Appends a tag with <paramref name="payload"/> after its header; <paramref name="size"/> overrides the size field.</summary>
    public BootInformationImage Tag(uint type, byte[] payload, uint? size = null)
    {
        Align();
        Append(type);
        Append(size ?? (uint)(8 + payload.Length));
        _bytes.AddRange(payload);
        return this;
    }

    public BootInformationImage CommandLine(string text) => Tag(1, Terminated(text));

    public BootInformationImage BootLoaderName(string text) => Tag(2, Terminated(text));

    public BootInformationImage Module(uint start, uint end, string name)
    {
        var payload = new List<byte>();
        payload.AddRange(BitConverter.GetBytes(start));
        payload.AddRange(BitConverter.GetBytes(end));
        payload.AddRange(Terminated(name));
        return Tag(3, payload.ToArray());
    }

    /// <summary>A memory map tag with entries of <paramref name="entrySize"/> bytes (24 defined, the rest padding).</summary>
    public BootInformationImage MemoryMap(uint entrySize, params (ulong Base, ulong Length, uint Type)[] entries)
    {
        var payload = new List<byte>();
        payload.AddRange(BitConverter.GetBytes(entrySize));
        payload.AddRange(BitConverter.GetBytes(0u));
        foreach ((ulong @base, ulong length, uint type) in entries)
        {
            var entry = new byte[Math.Max(entrySize, 24)];
            BitConverter.GetBytes(@base).CopyTo(entry, 0);
            BitConverter.GetBytes(length).CopyTo(entry, 8);
            BitConverter.GetBytes(type).CopyTo(entry, 16);
            payload.AddRange(entry);
        }
        return Tag(6, payload.ToArray());
    }

    public BootInformationImage End() => Tag(0, Array.Empty<byte>());

    /// <summary>Places the structure in memory, with the total size field as built or as <paramref name="totalSize"/>.</summary>
    public byte* Place(uint? totalSize = null, int misalignBy = 0)
    {
        Align();
        byte[] bytes = _bytes.ToArray();
        BitConverter.GetBytes(totalSize ?? (uint)bytes.Length).CopyTo(bytes, 0);
        _memory = NativeMemory.AlignedAlloc((nuint)(bytes.Length + GuardBytes + 8), 8);
        byte* start = (byte*)_memory + misalignBy;
        new Span<byte>(_memory, bytes.Length + GuardBytes + 8).Fill(GuardByte);
        bytes.CopyTo(new Span<byte>(start, bytes.Length));
        Length = (ulong)bytes.Length;
        return start;
    }

    /// <summary>Bytes behind the structure that the parser may read (its total size field can claim more).</summary>
    public const int GuardBytes = 64;

    private const byte GuardByte = 0xEE;

    public ulong Length { get; private set; }

    public ulong Available => Length + GuardBytes;

    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }

    public static byte[] Terminated(string text) => Encoding.ASCII.GetBytes(text + "\0");

    public static string ReadString(byte* info, uint offset) => Marshal.PtrToStringAnsi((IntPtr)(info + offset));

    private void Append(uint value) => _bytes.AddRange(BitConverter.GetBytes(value));

    private void Align()
    {
        while (_bytes.Count % 8 != 0)
        {
            _bytes.Add(0);
        }
    }
}
