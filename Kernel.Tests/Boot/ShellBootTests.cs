using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

[Collection(BootCollection.Name)]
public sealed class ShellBootTests
{
    [Fact]
    public void Scripted_session_reaches_shell_ready_and_runs_help_and_memmap()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        string help = qemu.Run("help");
        foreach (string command in new[] { "help", "memmap", "cmdline", "cpuinfo", "uptime", "selftest", "crash", "shutdown", "reboot" })
        {
            Assert.Matches(new Regex(@"^\s+" + command + @"\b", RegexOptions.Multiline), help);
        }

        string memmap = qemu.Run("memmap");
        MatchCollection regions = Regex.Matches(memmap, @"^\[mem 0x([0-9a-f]{16})-0x([0-9a-f]{16})\] (\S.*)$", RegexOptions.Multiline);
        Assert.True(regions.Count >= 3, "memmap printed fewer than 3 regions:\n" + memmap);
        Assert.Contains(regions, m => m.Groups[1].Value == "0000000000000000" && m.Groups[3].Value == "usable");
        // 512 MiB of RAM: the region above 1 MiB reported as usable must be most of it.
        Assert.Contains(regions, m => m.Groups[1].Value == "0000000000100000" && m.Groups[3].Value == "usable"
            && System.Convert.ToUInt64(m.Groups[2].Value, 16) > 0x1C000000);
        Assert.Matches(@"usable: \d+ KiB \(5\d\d MiB\)", memmap);
    }

    [Fact]
    public void Unknown_commands_and_bad_arguments_print_usage_and_the_shell_keeps_running()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        Assert.Contains("unknown command: frobnicate", qemu.Run("frobnicate"));
        Assert.Contains("usage: crash null|pf ADDR|write ADDR|exec ADDR|ud|stack|throw", qemu.Run("crash"));
        Assert.Contains("usage: crash", qemu.Run("crash write"));
        Assert.Contains("usage: crash", qemu.Run("crash exec 0xZZ"));
        Assert.Contains("usage: crash", qemu.Run("crash stack 1"));
        Assert.Contains("usage: crash", qemu.Run("crash pf 0xZZ"));
        Assert.Contains("usage: crash", qemu.Run("crash pf 99999999999999999999999"));
        Assert.Contains("usage: memmap", qemu.Run("memmap extra"));
        Assert.Contains("no suite named nosuch", qemu.Run("selftest nosuch"));
        Assert.Contains("up 0:00:", qemu.Run("uptime"));
        Assert.Contains("features:", qemu.Run("cpuinfo"));
        string runtime = qemu.Run("selftest runtime");
        Assert.Matches(@"\nselftest: \d+ passed, 0 failed\n", runtime);
        Assert.Contains("[PASS] runtime.no_leak\n", runtime);
        Assert.DoesNotMatch(@"\[(PASS|FAIL)\] (arch|frames|paging|kheap|pebble)\.", runtime);
    }

    [Fact]
    public void A_script_of_thirty_commands_pasted_in_one_write_runs_every_command_in_order()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        const int Commands = 30;
        var script = new System.Text.StringBuilder();
        for (int i = 0; i < Commands; i++)
        {
            // Every fifth command prints many lines, so input keeps arriving while the shell is busy writing.
            script.Append(i % 5 == 4 ? "help\r" : $"echo pasted-line-{i:D2} of the script, arriving at full speed\r");
        }
        qemu.Type(script.ToString() + "echo end-of-script\r");

        string output = qemu.WaitFor("\nend-of-script\n", 60) + qemu.WaitFor(QemuSession.Prompt);
        var ran = new System.Collections.Generic.List<string>();
        foreach (Match m in Regex.Matches(output, @"^pasted-line-(\d\d) of the script, arriving at full speed$", RegexOptions.Multiline))
        {
            ran.Add(m.Groups[1].Value);
        }
        var expected = new System.Collections.Generic.List<string>();
        for (int i = 0; i < Commands; i++)
        {
            if (i % 5 != 4)
            {
                expected.Add(i.ToString("D2"));
            }
        }
        Assert.True(expected.SequenceEqual(ran), $"echoes ran: {string.Join(' ', ran)}\n{output}");
        Assert.Equal(Commands / 5, Regex.Matches(output, @"^  help\b", RegexOptions.Multiline).Count);
        Assert.DoesNotContain("unknown command", output);
    }

    [Fact]
    public void Escape_then_enter_still_runs_the_line()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        Assert.Contains("\nafter-escape\n", qemu.Run("echo after-escape\u001b"));
        // An escape sequence (cursor up) is dropped whole, and the line goes on.
        Assert.Contains("\nbefore after\n", qemu.Run("echo before\u001b[A after"));
        // ESC alone, then Enter, on an empty line gives a fresh prompt.
        Assert.Equal("\n", qemu.Run("\u001b"));
    }

    [Fact]
    public void Line_editing_with_backspace_corrects_a_command()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        // "uptimx" + backspace + "e" is "uptime".
        Assert.Contains("ticks at 1000 Hz", qemu.Run("uptimx\u007fe"));
    }

    [Fact]
    public void Crash_null_reports_a_null_reference_with_a_symbolised_backtrace()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel, "panic=exit"));
        qemu.Type("crash null\r");
        int status = qemu.WaitForExit();
        string output = qemu.Output;

        Assert.Contains("KERNEL PANIC: page fault: null reference", output);
        Assert.Contains("NullReferenceException", output);
        Assert.Contains("#PF page fault", output);
        Assert.Matches(@"CR2 0x0000000000000\w{3}", output);
        Assert.Matches(@"RAX=0x[0-9a-f]{16}", output);
        Assert.Matches(@"#\d+ 0x[0-9a-f]{16} kernel_Kernel_Shell_Commands_CrashCommand__\w+\+0x", output);
        Assert.Equal(QemuSession.Failure, status);
    }

    [Theory]
    [InlineData("crash ud", "#UD invalid opcode")]
    [InlineData("crash throw", "exception: System.InvalidOperationException")]
    // 0xFFFF_8000_0000_0000 is the direct map now; the self-test scratch page is unmapped outside a self-test.
    [InlineData("crash pf 0xffffe00080000000", "page fault: unmapped address")]
    [InlineData("crash pf 0x0000800000000000", "#GP general protection")]
    public void Crash_variants_show_the_panic_screen_with_their_cause(string command, string expected)
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel, "panic=exit"));
        qemu.Type(command + "\r");
        int status = qemu.WaitForExit();

        Assert.Contains("KERNEL PANIC", qemu.Output);
        Assert.Contains(expected, qemu.Output);
        Assert.Contains("backtrace:", qemu.Output);
        Assert.Equal(QemuSession.Failure, status);
    }

    [Fact]
    public void Shutdown_ends_qemu_through_the_debug_exit_device()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        qemu.Type("shutdown\r");

        Assert.Equal(QemuSession.Success, qemu.WaitForExit());
    }

    [Fact]
    public void Shutdown_without_the_debug_exit_device_powers_off_through_acpi()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), debugExit: false);
        qemu.Type("shutdown\r");

        // QEMU exits with status 0 when the guest enters ACPI S5.
        Assert.Equal(0, qemu.WaitForExit());
        Assert.DoesNotContain("resetting instead", qemu.Output);
    }
}
