using System;
using System.Diagnostics;
using System.IO;

namespace Kernel.Tests.Boot;

/// <summary>
/// Finds the repository and the built kernel, and makes the GRUB images the boot tests need: one per
/// default menu entry and extra command-line options (for example "selftest" with "panic=exit").
/// <c>make test</c> builds the kernel first; run directly, the tests build it once themselves.
/// </summary>
public static class KernelImage
{
    private static readonly object s_lock = new object();
    private static bool s_kernelChecked;

    public static string Root { get; } = FindRoot();

    public static string BuildDirectory => Path.Combine(Root, "build");

    public static string KernelElf => Path.Combine(BuildDirectory, "kernel.elf");

    /// <summary>The user programs, one ELF per program (tools/build.sh programs).</summary>
    public static string ProgramsDirectory => Path.Combine(BuildDirectory, "bin");

    /// <summary>The GRUB menu template every image is made from: an edit to it makes the images stale too.</summary>
    public static string GrubConfigTemplate => Path.Combine(Root, "iso", "grub.cfg.in");

    /// <summary>The script that fills the template in and runs grub-mkrescue: an edit to it makes the images stale too.</summary>
    public static string BuildScript => Path.Combine(Root, "tools", "build.sh");

    /// <summary>
    /// Returns an ISO whose GRUB menu boots <paramref name="entry"/> at once with <paramref name="options"/>,
    /// after running <paramref name="grubCommands"/> (e.g. "cutmem 23M 4G", which removes that range from the
    /// memory map GRUB passes on; no '/' or '|').
    /// </summary>
    public static string Iso(MenuEntry entry, string options = "", string grubCommands = "")
    {
        lock (s_lock)
        {
            EnsureKernel();
            string name = entry.ToString().ToLowerInvariant() + Suffix(options) + Suffix(grubCommands);
            string iso = Path.Combine(BuildDirectory, "test-isos", name + ".iso");
            if (!File.Exists(iso) || File.GetLastWriteTimeUtc(iso) < File.GetLastWriteTimeUtc(KernelElf)
                || File.GetLastWriteTimeUtc(iso) < File.GetLastWriteTimeUtc(GrubConfigTemplate)
                || File.GetLastWriteTimeUtc(iso) < File.GetLastWriteTimeUtc(BuildScript)
                || File.GetLastWriteTimeUtc(iso) < NewestProgram())
            {
                Directory.CreateDirectory(Path.GetDirectoryName(iso)!);
                Run("iso", ((int)entry).ToString(), "0", options, iso, grubCommands);
            }
            return iso;
        }
    }

    private static DateTime NewestProgram()
    {
        DateTime newest = DateTime.MinValue;
        foreach (string program in Directory.GetFiles(ProgramsDirectory))
        {
            DateTime written = File.GetLastWriteTimeUtc(program);
            newest = written > newest ? written : newest;
        }
        return newest;
    }

    private static string Suffix(string words) => words.Length == 0 ? "" : "-" + words.Replace(' ', '-').Replace('=', '_');

    private static void EnsureKernel()
    {
        if (s_kernelChecked)
        {
            return;
        }
        if (!File.Exists(KernelElf))
        {
            Run("kernel");
        }
        if (!Directory.Exists(ProgramsDirectory))
        {
            Run("programs");
        }
        s_kernelChecked = true;
    }

    private static void Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(Root, "tools", "build.sh"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["SKIP_KERNEL"] = "1";
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tools/build.sh {string.Join(' ', arguments)} failed:\n{output}");
        }
    }

    private static string FindRoot()
    {
        string fromEnvironment = Environment.GetEnvironmentVariable("KERNEL_ROOT");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }
        foreach (var attribute in typeof(KernelImage).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false))
        {
            var metadata = (System.Reflection.AssemblyMetadataAttribute)attribute;
            if (metadata.Key == "RepositoryRoot" && File.Exists(Path.Combine(metadata.Value, "Kernel.slnx")))
            {
                return metadata.Value;
            }
        }
        for (string directory = AppContext.BaseDirectory; directory != null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "Kernel.slnx")))
            {
                return directory;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Kernel.slnx) above " + AppContext.BaseDirectory);
    }
}

/// <summary>The GRUB menu entries of iso/grub.cfg.in, by index.</summary>
public enum MenuEntry
{
    Kernel = 0,
    Selftest = 1,

    /// <summary>The shell on a framebuffer (gfxpayload), on BIOS too.</summary>
    KernelFramebuffer = 2,

    /// <summary>The self-tests on a framebuffer (gfxpayload), on BIOS too.</summary>
    SelftestFramebuffer = 3,
}
