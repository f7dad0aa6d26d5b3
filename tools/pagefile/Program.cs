using System;
using System.IO;
using Kernel.Swap;

/// <summary>
/// pagefile FILE [MIB]: makes FILE a raw disk image of MIB MiB (256 by default; sparse where the file system
/// allows) whose sector 0 carries the kernel's page-file signature, slots filling the rest. An existing file is
/// replaced only if it already carries the signature: any other disk image is left alone.
/// </summary>
internal static unsafe class Program
{
    private const int DefaultMiB = 256;
    private const int MaxMiB = 64 * 1024;

    private static int Main(string[] args)
    {
        int mib = DefaultMiB;
        if (args.Length < 1 || args.Length > 2 || args.Length == 2 && (!int.TryParse(args[1], out mib) || mib < 1 || mib > MaxMiB))
        {
            Console.Error.WriteLine($"usage: pagefile FILE [MIB]   (MIB 1 to {MaxMiB}, default {DefaultMiB})");
            return 2;
        }
        string path = args[0];
        if (File.Exists(path) && !CarriesSignature(path))
        {
            Console.Error.WriteLine($"pagefile: {path} exists and is not a page-file image; not overwritten");
            return 1;
        }
        ulong sectors = (ulong)mib * 1024 * 1024 / PageFileHeader.SectorSize;
        ulong slots = PageFileHeader.SlotsFor(sectors);
        var header = new byte[PageFileHeader.Size];
        Guid uuid = Guid.NewGuid();
        byte[] uuidBytes = uuid.ToByteArray();
        fixed (byte* p = header)
        {
            PageFileHeader.Write(p, slots, PageFileHeader.DefaultFirstSlotLba, BitConverter.ToUInt64(uuidBytes, 0), BitConverter.ToUInt64(uuidBytes, 8));
        }
        using (FileStream file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            file.SetLength((long)sectors * (long)PageFileHeader.SectorSize);
            file.Write(header);
        }
        Console.WriteLine($"pagefile: {path}: {mib} MiB, {slots} slots of 4 KiB from LBA {PageFileHeader.DefaultFirstSlotLba}, uuid {uuid}");
        return 0;
    }

    private static bool CarriesSignature(string path)
    {
        var sector = new byte[PageFileHeader.Size];
        long length;
        using (FileStream file = File.OpenRead(path))
        {
            length = file.Length;
            if (file.Read(sector, 0, sector.Length) != sector.Length)
            {
                return false;
            }
        }
        fixed (byte* p = sector)
        {
            return PageFileHeader.Parse(p, (ulong)sector.Length, (ulong)length / PageFileHeader.SectorSize, out _) == PageFileHeaderStatus.Ok;
        }
    }
}
