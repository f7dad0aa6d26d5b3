using System;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;

namespace Kernel.Tests.Boot;

/// <summary>
/// Page-file disk images for the boot tests, in a temporary directory: one made by <c>tools/build.sh pagefile</c>
/// (so the tool is tested too) as a template, copied fresh for each test that writes to it, and a copy whose
/// header has one byte flipped.
/// </summary>
public sealed class PageFileImages : IDisposable
{
    public const int MiB = 16;
    public const int SectorSize = 512;
    public const int SlotSize = 4096;

    /// <summary>Slots in a <see cref="MiB"/> MiB image: all but the first 4 KiB, which holds the header.</summary>
    public const int Slots = MiB * 1024 * 1024 / SlotSize - 1;

    private int _copies;

    public PageFileImages()
    {
        Directory = Path.Combine(Path.GetTempPath(), "kernel-pagefile-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        TemplatePath = Path.Combine(Directory, "template.img");
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(KernelImage.Root, "tools", "build.sh"));
        start.ArgumentList.Add("pagefile");
        start.ArgumentList.Add(TemplatePath);
        start.ArgumentList.Add(MiB.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process process = Process.Start(start)!;
        ToolOutput = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("tools/build.sh pagefile failed:\n" + ToolOutput);
        }
        Match uuid = Regex.Match(ToolOutput, @"uuid ([0-9a-f-]{36})");
        Uuid = uuid.Success ? uuid.Groups[1].Value : throw new InvalidOperationException("the tool printed no uuid:\n" + ToolOutput);
        Template = File.ReadAllBytes(TemplatePath);
    }

    public string Directory { get; }

    public string TemplatePath { get; }

    /// <summary>What the tool printed.</summary>
    public string ToolOutput { get; }

    /// <summary>The UUID the tool wrote, as it printed it.</summary>
    public string Uuid { get; }

    /// <summary>The image as the tool wrote it.</summary>
    public byte[] Template { get; }

    /// <summary>A new image of <paramref name="mib"/> MiB made by the tool (sparse), for one test to write to.</summary>
    public string Sized(int mib)
    {
        string path = Path.Combine(Directory, $"sized-{mib}-{++_copies}.img");
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(KernelImage.Root, "tools", "build.sh"));
        start.ArgumentList.Add("pagefile");
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(mib.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("tools/build.sh pagefile failed:\n" + output);
        }
        return path;
    }

    /// <summary>A fresh copy of the tool's image, for one test to write to.</summary>
    public string FreshCopy() => Copy(Template);

    /// <summary>A copy whose header byte at <paramref name="offset"/> is flipped: the checksum no longer matches.</summary>
    public string DamagedCopy(int offset)
    {
        byte[] damaged = (byte[])Template.Clone();
        damaged[offset] ^= 0x01;
        return Copy(damaged);
    }

    /// <summary>A blkdebug configuration (QEMU) that fails every read touching sector <paramref name="sector"/> with EIO.</summary>
    public string ReadErrorConfig(long sector)
    {
        string path = Path.Combine(Directory, $"read-error-{sector}.cfg");
        File.WriteAllText(path, $"[inject-error]\nevent = \"read_aio\"\niotype = \"read\"\nerrno = \"5\"\nsector = \"{sector}\"\n");
        return path;
    }

    private string Copy(byte[] bytes)
    {
        string path = Path.Combine(Directory, $"copy-{++_copies}.img");
        File.WriteAllBytes(path, bytes);
        return path;
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
