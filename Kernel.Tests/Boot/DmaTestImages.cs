using System;
using System.IO;

namespace Kernel.Tests.Boot;

/// <summary>
/// A 1.44 MB floppy image and an 8 MiB raw disk image in a temporary directory, every 512-byte sector
/// filled from its LBA: a two-letter tag ("FD" or "HD"), the LBA as a little-endian 32-bit number, then
/// bytes from a formula of the LBA and the offset. Any dump of a sector thus says which sector it is.
/// </summary>
public sealed class DmaTestImages : IDisposable
{
    public const int SectorSize = 512;
    public const int FloppySectors = 80 * 2 * 18;
    public const int DiskSectors = 8 * 1024 * 1024 / SectorSize;

    public DmaTestImages()
    {
        Directory = Path.Combine(Path.GetTempPath(), "kernel-dma-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        FloppyPath = Path.Combine(Directory, "floppy.img");
        DiskPath = Path.Combine(Directory, "disk.img");
        Floppy = Fill("FD", FloppySectors);
        Disk = Fill("HD", DiskSectors);
        File.WriteAllBytes(FloppyPath, Floppy);
        File.WriteAllBytes(DiskPath, Disk);
    }

    public string Directory { get; }

    public string FloppyPath { get; }

    public string DiskPath { get; }

    public byte[] Floppy { get; }

    public byte[] Disk { get; }

    /// <summary>QEMU arguments for both drives: the floppy as drive A, the disk as primary master.</summary>
    public string[] QemuDrives => new[]
    {
        "-drive", $"file={FloppyPath},format=raw,if=floppy,index=0",
        "-drive", $"file={DiskPath},format=raw,if=ide,index=0",
    };

    /// <summary>A zero-filled raw disk image of <paramref name="mib"/> MiB beside the others, made on first use.</summary>
    public string BlankDisk(string name, int mib)
    {
        string path = Path.Combine(Directory, name + ".img");
        if (!File.Exists(path))
        {
            using FileStream file = File.Create(path);
            file.SetLength((long)mib << 20);
        }
        return path;
    }

    /// <summary>
    /// A sparse raw disk image of <paramref name="sectors"/> sectors beside the others in which only the sectors
    /// <paramref name="firstTagged"/> to <paramref name="firstTagged"/> + <paramref name="tagged"/> - 1 hold data
    /// (as <see cref="SectorByte"/> says, tag "HD"): a disk larger than 128 GiB costs the host next to nothing.
    /// </summary>
    public string SparseDisk(string name, long sectors, int firstTagged, int tagged)
    {
        string path = Path.Combine(Directory, name + ".img");
        using FileStream file = File.Create(path);
        file.SetLength(sectors * SectorSize);
        file.Position = (long)firstTagged * SectorSize;
        file.Write(Sectors("HD", firstTagged, tagged));
        return path;
    }

    /// <summary>The bytes of <paramref name="count"/> sectors from <paramref name="first"/> as <see cref="SectorByte"/> fills them.</summary>
    public static byte[] Sectors(string tag, int first, int count)
    {
        var bytes = new byte[count * SectorSize];
        for (int i = 0; i < count; i++)
        {
            for (int offset = 0; offset < SectorSize; offset++)
            {
                bytes[i * SectorSize + offset] = SectorByte(tag, first + i, offset);
            }
        }
        return bytes;
    }

    public static byte SectorByte(string tag, int lba, int offset)
    {
        if (offset < 2)
        {
            return (byte)tag[offset];
        }
        if (offset < 6)
        {
            return (byte)(lba >> (8 * (offset - 2)));
        }
        return (byte)(lba * 31 + offset * 7 + (offset >> 4));
    }

    /// <summary>The 32-bit FNV-1a of <paramref name="length"/> bytes of <paramref name="image"/> from <paramref name="start"/>.</summary>
    public static uint Fnv1a(byte[] image, long start, long length)
    {
        uint hash = 2166136261;
        for (long i = start; i < start + length; i++)
        {
            hash = (hash ^ image[i]) * 16777619;
        }
        return hash;
    }

    private static byte[] Fill(string tag, int sectors)
    {
        var image = new byte[sectors * SectorSize];
        for (int lba = 0; lba < sectors; lba++)
        {
            for (int offset = 0; offset < SectorSize; offset++)
            {
                image[lba * SectorSize + offset] = SectorByte(tag, lba, offset);
            }
        }
        return image;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
