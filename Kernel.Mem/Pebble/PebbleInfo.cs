using System;

namespace Kernel.Mem.Pebble;

/// <summary>One line of the pebble dump: a snapshot taken under the bucket's lock.</summary>
public readonly struct PebbleInfo
{
    /// <summary>Virtual address of the bucket header.</summary>
    public ulong Bucket { get; init; }

    /// <summary>The memory type of the bucket.</summary>
    public PebbleFlags BucketType { get; init; }

    /// <summary>Where the header is; the enumeration cursor.</summary>
    public ulong Header { get; init; }

    /// <summary>The data: what the caller got, and its end (header + block size).</summary>
    public ulong VirtualStart { get; init; }

    public ulong VirtualEnd { get; init; }

    /// <summary>
    /// The physical address of the first data byte. The data is physically contiguous up to
    /// <see cref="PhysicalEnd"/> only when <see cref="IsContiguous"/>; otherwise PhysicalEnd is the end of
    /// the first data byte's frame.
    /// </summary>
    public ulong PhysicalStart { get; init; }

    public ulong PhysicalEnd { get; init; }

    public bool IsContiguous { get; init; }

    public PebbleState State { get; init; }

    /// <summary>The size asked for (0 when free) and the usable size (block less header).</summary>
    public ulong Requested { get; init; }

    public ulong Capacity { get; init; }

    public ulong Alignment { get; init; }

    public ulong Boundary { get; init; }

    public PebbleFlags Flags { get; init; }

    public uint Owner { get; init; }

    public ulong Name0 { get; init; }

    public ulong Name1 { get; init; }

    public int NameLength => Pebble.NameLength(Name0, Name1);

    public byte NameByte(int index) => Pebble.NameByte(Name0, Name1, index);

    /// <summary>Writes the name into <paramref name="destination"/>; returns the characters written.</summary>
    public int CopyName(Span<char> destination) => Pebble.CopyName(Name0, Name1, destination);
}
