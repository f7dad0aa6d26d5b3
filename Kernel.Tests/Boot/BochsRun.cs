using System;
using System.Diagnostics;
using System.IO;

namespace Kernel.Tests.Boot;

/// <summary>
/// One run of an ISO under Bochs with the configuration the project ships (tools/bochs/bochsrc.txt), headless,
/// COM1 written to a file. Bochs has no isa-debug-exit: a run ends when the kernel powers the machine off
/// (ACPI S5, which Bochs reports as "soft power off"), or is killed at the deadline.
/// </summary>
public sealed class BochsRun
{
    private BochsRun(string serial, string screen, bool poweredOff)
    {
        Serial = serial;
        Screen = screen;
        PoweredOff = poweredOff;
    }

    /// <summary>What the kernel wrote to COM1 (carriage returns removed).</summary>
    public string Serial { get; }

    /// <summary>Bochs' own standard output and error: its messages, and its reason for exiting.</summary>
    public string Screen { get; }

    /// <summary>Whether Bochs ended by itself on an ACPI power-off before the deadline.</summary>
    public bool PoweredOff { get; }

    public static BochsRun Start(string iso, string cpu, int seconds)
    {
        string directory = Path.Combine(KernelImage.BuildDirectory, "bochs-test", cpu);
        Directory.CreateDirectory(directory);
        string serial = Path.Combine(directory, "serial.log");
        File.Delete(serial);
        string bochsDirectory = Path.Combine(KernelImage.Root, "tools", "bochs");
        var start = new ProcessStartInfo("bochs")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (string argument in new[] { "-q", "-f", Path.Combine(bochsDirectory, "bochsrc.txt"), "-rc", Path.Combine(bochsDirectory, "continue.rc") })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["BOCHS_ISO"] = iso;
        start.Environment["BOCHS_CPU"] = cpu;
        // The term display library draws the VGA screen on a pseudo-terminal of its own: nothing to look at.
        start.Environment["BOCHS_DISPLAY"] = "term";
        start.Environment["TERM"] = "dumb";
        start.Environment["BOCHS_SERIAL_MODE"] = "file";
        start.Environment["BOCHS_SERIAL"] = serial;
        start.Environment["BOCHS_LOG"] = Path.Combine(directory, "bochs.log");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("bochs did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("bochs is not installed: tools/build.sh setup installs it", e);
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            bool exited = process.WaitForExit(seconds * 1000);
            if (!exited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            string screen = stdout.Result + stderr.Result;
            string written = File.Exists(serial) ? File.ReadAllText(serial).Replace("\r", "") : "";
            return new BochsRun(written, screen, exited && screen.Contains("ACPI control: soft power off"));
        }
    }
}
