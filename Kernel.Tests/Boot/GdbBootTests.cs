using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// gdb against QEMU's gdbstub, as after <c>make debug</c>: the image GRUB loads carries no debug information,
/// gdb finds ilc's DWARF in build/kernel.debug through the image's debug link, so a breakpoint set by C# file
/// and line is hit and the backtrace names C# files and lines; tools/kernel.gdb's commands work on the live kernel.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class GdbBootTests
{
    private const int GdbSeconds = 120;

    private static string KernelSource(string relative) => Path.Combine(KernelImage.Root, relative);

    /// <summary>The 1-based number of the first line of <paramref name="relative"/> whose text, trimmed, is <paramref name="statement"/>.</summary>
    private static int LineOf(string relative, string statement)
    {
        string[] lines = File.ReadAllLines(KernelSource(relative));
        int index = Array.FindIndex(lines, line => line.Trim() == statement);
        Assert.True(index >= 0, $"{relative} has no line '{statement}'");
        return index + 1;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public void A_breakpoint_by_csharp_file_and_line_is_hit_and_the_backtrace_names_csharp_lines()
    {
        const string memoryManager = "Kernel/Memory/MemoryManager.cs";
        const string kernelMain = "Kernel/KernelMain.cs";
        int mapLine = LineOf(memoryManager, "MapDirectMap();");
        int initializeCall = LineOf(kernelMain, "Memory.MemoryManager.Initialize();");
        int shellLine = LineOf(kernelMain, "Shell.Shell.Run();");
        Assert.True(File.Exists(Path.Combine(KernelImage.BuildDirectory, "kernel.debug")), "no build/kernel.debug");
        int port = FreePort();
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Kernel),
            extraArguments: new[] { "-S", "-gdb", $"tcp:127.0.0.1:{port}" });

        string output = RunGdb(
            "-x", Path.Combine(KernelImage.Root, "tools", "kernel.gdb"),
            "-ex", $"target remote 127.0.0.1:{port}",
            "-ex", $"break {memoryManager}:{mapLine}",
            "-ex", "continue",
            "-ex", "bt",
            "-ex", $"break {kernelMain}:{shellLine}",
            "-ex", "continue",
            "-ex", "kproc",
            "-ex", "kpt kernel_main",
            "-ex", "kill");

        Assert.Matches($@"Breakpoint 1, [^\n]*MemoryManager__Initialize[^\n]* at [^\n]*{Regex.Escape(memoryManager)}:{mapLine}\n", output);
        Assert.Matches($@"#0 +[^\n]*MemoryManager__Initialize[^\n]* at [^\n]*{Regex.Escape(memoryManager)}:{mapLine}\n", output);
        // kernel_main is the exported name of KernelMain.Entry; the DWARF names the C# method.
        Assert.Matches($@"#1 +[^\n]*KernelMain__Entry[^\n]* at [^\n]*{Regex.Escape(kernelMain)}:{initializeCall}\n", output);
        Assert.Matches($@"Breakpoint 2, [^\n]*KernelMain__Entry[^\n]* at [^\n]*{Regex.Escape(kernelMain)}:{shellLine}\n", output);
        Assert.Matches(@"\nthread shell at 0x[0-9a-f]+: Running, ", output);
        Assert.Matches(@"\nprocess: pid 1 shell, Live, kernel task\n", output);
        // Kernel code: present, global, neither writable nor no-execute (W^X), reached through 4 KiB pages.
        Assert.Matches(@"\n  PTE  \[ *\d+\] 0x[0-9a-f]{16} P( A)? G\n-> physical 0x[0-9a-f]+ \(4 KiB page\)\n", output);
    }

    private static string RunGdb(params string[] commands)
    {
        var start = new ProcessStartInfo("gdb")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = KernelImage.Root,
        };
        foreach (string argument in new[] { "-batch", "-nx", KernelImage.KernelElf })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (string command in commands)
        {
            start.ArgumentList.Add(command);
        }
        using Process gdb = Process.Start(start) ?? throw new InvalidOperationException("gdb did not start");
        var standardError = gdb.StandardError.ReadToEndAsync();
        var standardOutput = gdb.StandardOutput.ReadToEndAsync();
        if (!gdb.WaitForExit(GdbSeconds * 1000))
        {
            gdb.Kill(entireProcessTree: true);
            throw new TimeoutException($"gdb still running after {GdbSeconds} s:\n{standardOutput.Result}\n{standardError.Result}");
        }
        gdb.WaitForExit();
        return (standardOutput.Result + "\n" + standardError.Result).Replace("\r", "");
    }
}
