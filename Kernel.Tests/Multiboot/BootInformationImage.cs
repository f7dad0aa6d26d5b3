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

    /// <summary>A framebuffer tag (type 8) as GRUB writes it for direct colour: common fields, then the six colour bytes.</summary>
    public BootInformationImage Framebuffer(ulong address, uint pitch, uint width, uint height, byte bpp = 32, byte type = 1,
        byte redPosition = 16, byte redSize = 8, byte greenPosition = 8, byte greenSize = 8, byte bluePosition = 0, byte blueSize = 8,
        bool colorInfo = true)
    {
        var payload = new List<byte>();
        payload.AddRange(BitConverter.GetBytes(address));
        payload.AddRange(BitConverter.GetBytes(pitch));
        payload.AddRange(BitConverter.GetBytes(width));
        payload.AddRange(BitConverter.GetBytes(height));
        payload.Add(bpp);
        payload.Add(type);
        payload.AddRange(new byte[2]);
        if (colorInfo)
        {
            payload.AddRange(new[] { redPosition, redSize, greenPosition, greenSize, bluePosition, blueSize });
        }
        return Tag(8, payload.ToArray());
    }

    /// <summary>
    /// An ACPI 1.0 RSDP (20 bytes) with a correct checksum; <paramref name="forge"/> may break it after the
    /// checksum is set.
    /// </summary>
    public static byte[] RsdpV1(uint rsdtAddress, Action<byte[]> forge = null)
    {
        var rsdp = new byte[20];
        Encoding.ASCII.GetBytes("RSD PTR ").CopyTo(rsdp, 0);
        Encoding.ASCII.GetBytes("GRUBTS").CopyTo(rsdp, 9);
        BitConverter.GetBytes(rsdtAddress).CopyTo(rsdp, 16);
        rsdp[8] = Checksum(rsdp, 0, 20);
        forge?.Invoke(rsdp);
        return rsdp;
    }

    /// <summary>An ACPI 2.0 RSDP (36 bytes: revision 2, length, XSDT, extended checksum) with both checksums correct.</summary>
    public static byte[] RsdpV2(ulong xsdtAddress, uint? length = null, Action<byte[]> forge = null)
    {
        var rsdp = new byte[36];
        Encoding.ASCII.GetBytes("RSD PTR ").CopyTo(rsdp, 0);
        Encoding.ASCII.GetBytes("GRUBTS").CopyTo(rsdp, 9);
        rsdp[15] = 2;
        BitConverter.GetBytes(length ?? 36u).CopyTo(rsdp, 20);
        BitConverter.GetBytes(xsdtAddress).CopyTo(rsdp, 24);
        rsdp[8] = Checksum(rsdp, 0, 20);
        rsdp[32] = Checksum(rsdp, 0, 36);
        forge?.Invoke(rsdp);
        return rsdp;
    }

    private static byte Checksum(byte[] bytes, int from, int count)
    {
        byte sum = 0;
        for (int i = from; i < from + count; i++)
        {
            sum += bytes[i];
        }
        return (byte)(0 - sum);
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
