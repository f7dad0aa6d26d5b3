using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;

namespace Kernel.Tests.Boot;

/// <summary>
/// One run of the kernel under QEMU (software emulation, no display), with COM1 on the process's
/// standard streams so a test can wait for text and type commands. Every wait has a deadline and the
/// whole run a hard limit; disposing kills QEMU if it is still running.
/// </summary>
public sealed class QemuSession : IDisposable
{
    public const string Prompt = "kernel> ";

    /// <summary>QEMU's exit status when the kernel writes its success code to isa-debug-exit.</summary>
    public const int Success = 33;

    /// <summary>QEMU's exit status when the kernel writes its failure code to isa-debug-exit.</summary>
    public const int Failure = 35;

    public const string DefaultCpu = "max";

    private static readonly TimeSpan s_hardLimit = TimeSpan.FromSeconds(120);

    // How long the readers may take to drain the pipes once QEMU has exited.
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(10);

    /// <summary>Debian's OVMF (package ovmf): UEFI firmware for QEMU, one image holding code and variables.</summary>
    public const string OvmfImage = "/usr/share/ovmf/OVMF.fd";

    private readonly Process _process;
    private string _monitorSocket;
    private readonly StringBuilder _raw = new StringBuilder();
    private readonly object _lock = new object();
    private readonly List<Thread> _readers = new List<Thread>();
    // The cleaned text, rebuilt from _raw only when it is read after new output arrived (under _lock).
    private string _output = "";
    private bool _outputDirty;
    private int _consumed;

    private QemuSession(Process process)
    {
        _process = process;
    }

    /// <summary>Everything COM1 has printed so far (carriage returns and terminal escapes removed).</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return CleanOutput();
            }
        }
    }

    /// <summary>The output with terminal codes stripped, refreshed if the reader appended since; call under _lock.</summary>
    private string CleanOutput()
    {
        if (_outputDirty)
        {
            _output = StripTerminalCodes(_raw.ToString());
            _outputDirty = false;
        }
        return _output;
    }

    /// <param name="memory">QEMU -m value, e.g. "512M" or "5G".</param>
    /// <param name="debugExit">Attach isa-debug-exit at 0xf4 (how the kernel reports test results).</param>
    /// <param name="extraArguments">Further QEMU arguments, e.g. drives: "-drive", "file=...,if=floppy".</param>
    /// <param name="cpu">QEMU -cpu value: "max" offers every feature TCG emulates; e.g. "qemu64,-nx" takes NX away.</param>
    /// <param name="firmware">SeaBIOS (QEMU's default) or OVMF's UEFI.</param>
    /// <param name="monitor">Give QEMU a monitor on a Unix socket, for <see cref="Screendump"/>.</param>
    public static QemuSession Start(string iso, string memory = "512M", bool debugExit = true, IReadOnlyList<string> extraArguments = null,
        string cpu = DefaultCpu, Firmware firmware = Firmware.Bios, bool monitor = false)
    {
        string monitorSocket = monitor ? System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kernel-qemu-{Guid.NewGuid():N}.sock") : null;
        var start = new ProcessStartInfo("qemu-system-x86_64")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string monitorArgument = monitorSocket == null ? "none" : $"unix:{monitorSocket},server,nowait";
        foreach (string argument in new[] { "-cdrom", iso, "-cpu", cpu, "-m", memory, "-no-reboot", "-display", "none", "-serial", "stdio", "-monitor", monitorArgument })
        {
            start.ArgumentList.Add(argument);
        }
        if (firmware == Firmware.Uefi)
        {
            start.ArgumentList.Add("-bios");
            start.ArgumentList.Add(OvmfImage);
        }
        if (debugExit)
        {
            start.ArgumentList.Add("-device");
            start.ArgumentList.Add("isa-debug-exit,iobase=0xf4,iosize=0x04");
        }
        foreach (string argument in extraArguments ?? Array.Empty<string>())
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start");
        var session = new QemuSession(process) { _monitorSocket = monitorSocket };
        // Read raw chunks, not lines: the shell's prompt is not followed by a newline.
        session.StartReader(process.StandardOutput);
        session.StartReader(process.StandardError);
        return session;
    }

    /// <summary>Starts QEMU like <see cref="Start"/> and waits for the shell's first prompt (killing QEMU if it never comes).</summary>
    public static QemuSession StartShell(string iso, string memory = "512M", bool debugExit = true, IReadOnlyList<string> extraArguments = null,
        Firmware firmware = Firmware.Bios, bool monitor = false, int seconds = 60)
    {
        QemuSession qemu = Start(iso, memory, debugExit, extraArguments, firmware: firmware, monitor: monitor);
        try
        {
            qemu.WaitFor("shell ready", seconds);
            qemu.WaitFor(Prompt);
            return qemu;
        }
        catch
        {
            qemu.Dispose();
            throw;
        }
    }

    private void StartReader(System.IO.StreamReader reader)
    {
        var thread = new Thread(() =>
        {
            char[] buffer = new char[4096];
            int count;
            while ((count = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (_lock)
                {
                    _raw.Append(buffer, 0, count);
                    _outputDirty = true;
                    Monitor.PulseAll(_lock);
                }
            }
            lock (_lock)
            {
                Monitor.PulseAll(_lock);
            }
        })
        { IsBackground = true };
        _readers.Add(thread);
        thread.Start();
    }

    private static string StripTerminalCodes(string line)
    {
        var builder = new StringBuilder(line.Length);
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\u001b')
            {
                // CSI: ESC [ parameters final-letter
                i++;
                if (i < line.Length && line[i] == '[')
                {
                    while (i + 1 < line.Length && !char.IsLetter(line[i + 1]))
                    {
                        i++;
                    }
                    i++;
                }
                continue;
            }
            if (c != '\r')
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    /// <summary>Waits until <paramref name="text"/> appears after what earlier waits consumed; returns the text up to it.</summary>
    public string WaitFor(string text, int seconds = 60)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        lock (_lock)
        {
            while (true)
            {
                string all = CleanOutput();
                int index = all.IndexOf(text, _consumed, StringComparison.Ordinal);
                if (index >= 0)
                {
                    string before = all.Substring(_consumed, index + text.Length - _consumed);
                    _consumed = index + text.Length;
                    return before;
                }
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || (_process.HasExited && !Monitor.Wait(_lock, 200)))
                {
                    throw new TimeoutException($"'{text}' did not appear within {seconds} s. Output so far:\n{all}");
                }
                Monitor.Wait(_lock, left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>Types a command line on COM1 and returns what it printed before the next prompt.</summary>
    public string Run(string command, int seconds = 60)
    {
        Type(command + "\r");
        string reply = WaitFor(Prompt, seconds);
        return reply.Substring(0, reply.Length - Prompt.Length);
    }

    /// <summary>
    /// Consumes everything printed so far, prompts the shell printed by itself included (a background program
    /// that ends makes it redraw its prompt), by running a command with a known answer: the next
    /// <see cref="Run"/> then reads only its own command's output.
    /// </summary>
    public void Resync()
    {
        Type("uptime\r");
        WaitFor("ticks at 1000 Hz");
        WaitFor(Prompt);
    }

    public void Type(string text)
    {
        _process.StandardInput.Write(text);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for QEMU to exit and returns its status (<see cref="Success"/>/<see cref="Failure"/> through isa-debug-exit).</summary>
    public int WaitForExit(int seconds = 90)
    {
        int limit = (int)Math.Min(seconds * 1000.0, s_hardLimit.TotalMilliseconds);
        if (!_process.WaitForExit(limit))
        {
            throw new TimeoutException($"QEMU still running after {seconds} s. Output:\n{Output}");
        }
        _process.WaitForExit();
        // QEMU's last lines (the self-test's summary) may still sit in the pipes when it has exited: the
        // readers are plain threads, which Process.WaitForExit does not wait for.
        foreach (Thread reader in _readers)
        {
            reader.Join(s_drainLimit);
        }
        return _process.ExitCode;
    }

    /// <summary>
    /// Saves the screen (the framebuffer or the VGA text screen as QEMU draws it) through the monitor's
    /// screendump command and returns it; needs <c>monitor: true</c> at start.
    /// </summary>
    public PpmImage Screendump()
    {
        if (_monitorSocket == null)
        {
            throw new InvalidOperationException("QEMU was started without a monitor");
        }
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kernel-screen-{Guid.NewGuid():N}.ppm");
        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(_monitorSocket));
            socket.Send(Encoding.ASCII.GetBytes($"screendump {path}\n"));
            // The monitor echoes the command and prints its prompt again once it has run it.
            var reply = new StringBuilder();
            var buffer = new byte[4096];
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            while (!reply.ToString().Contains("screendump") || !reply.ToString().TrimEnd().EndsWith("(qemu)", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("the QEMU monitor did not answer screendump: " + reply);
                }
                socket.ReceiveTimeout = 30000;
                int count = socket.Receive(buffer);
                if (count == 0)
                {
                    break;
                }
                reply.Append(Encoding.ASCII.GetString(buffer, 0, count));
            }
            return PpmImage.Load(path);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        if (_monitorSocket != null)
        {
            System.IO.File.Delete(_monitorSocket);
        }
    }
}
