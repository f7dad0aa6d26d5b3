using System.Collections.Generic;
using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// The kernel booted from the one hybrid ISO by UEFI firmware (OVMF), where GRUB gives a linear framebuffer
/// and the ACPI RSDP only through multiboot2 tags, and by SeaBIOS with a framebuffer asked for (gfxpayload).
/// OVMF boots are slow under TCG (seconds before GRUB), so there are few of them.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class FramebufferBootTests
{
    private const int UefiBootSeconds = 120;
    private const ulong FramebufferRegion = 0xFFFF_F000_0000_0000;
    private const ulong DirectMap = 0xFFFF_8000_0000_0000;

    [Fact]
    public void Selftest_entry_under_uefi_runs_every_suite_on_the_framebuffer_and_exits_33_with_zero_failures()
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"), firmware: Firmware.Uefi);
        int status = qemu.WaitForExit(UefiBootSeconds);
        string output = qemu.Output;

        Assert.Matches(@"\nconsole: framebuffer \d+x\d+ at 0x[0-9a-f]+, \d+x\d+ cells\n", output);
        Assert.Matches(@"\nselftest: \d+ passed, 0 failed\n", output);
        Assert.DoesNotContain("[FAIL]", output);
        Assert.DoesNotContain("multiboot: tag type", output);
        // OVMF sends GRUB's console to COM1 from the start, so errors of GRUB's own (a command of grub.cfg that
        // failed) show there before the kernel's banner.
        int banner = output.IndexOf("C# kernel", System.StringComparison.Ordinal);
        Assert.True(banner > 0, "no kernel banner:\n" + output);
        Assert.DoesNotContain("error:", output.Substring(0, banner));
        Assert.True(status == QemuSession.Success, $"QEMU exit status {status}, expected {QemuSession.Success}. Output:\n{output}");
    }

    [Fact]
    public void Selftest_framebuffer_entry_under_bios_exits_33_with_zero_failures()
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.SelftestFramebuffer, "panic=exit"));
        int status = qemu.WaitForExit();
        string output = qemu.Output;

        Assert.Matches(@"\nconsole: framebuffer 1024x768 at 0x[0-9a-f]+, 128x48 cells\n", output);
        Assert.Matches(@"\nselftest: \d+ passed, 0 failed\n", output);
        Assert.True(status == QemuSession.Success, $"QEMU exit status {status}, expected {QemuSession.Success}. Output:\n{output}");
    }

    [Fact]
    public void Shell_under_uefi_draws_com1_text_on_the_framebuffer_and_powers_off_through_the_rsdp_tag()
    {
        // No debug-exit device: shutdown must find the ACPI tables, and under UEFI the RSDP is not in the BIOS area.
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), debugExit: false, firmware: Firmware.Uefi,
            monitor: true, seconds: UefiBootSeconds);

        AssertScreenShowsCom1(qemu, "uefi");
        qemu.Type("shutdown\r");

        // QEMU exits with status 0 when the guest enters ACPI S5 (and, with -no-reboot, on a reset: hence the message check).
        Assert.Equal(0, qemu.WaitForExit());
        Assert.DoesNotContain("resetting instead", qemu.Output);
    }

    [Fact]
    public void Shell_framebuffer_entry_under_bios_draws_com1_text_on_the_framebuffer()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.KernelFramebuffer), monitor: true);

        AssertScreenShowsCom1(qemu, "bios");
    }

    /// <summary>
    /// Prints a few known lines, then reads the screen back cell by cell with the console font and compares it
    /// with what COM1 carried from the kernel's first line on (GRUB's own output precedes it on COM1 only).
    /// Also checks the framebuffer's mapping: present, writable, supervisor-only, uncached, no-execute.
    /// </summary>
    private static void AssertScreenShowsCom1(QemuSession qemu, string firmware)
    {
        string vm = qemu.Run($"vm 0x{FramebufferRegion:x}");
        Match pte = Regex.Match(vm, @"\n  PTE +0x[0-9a-f]+ ([A-Z ]+)\n");
        Assert.True(pte.Success, "vm shows no PTE for the framebuffer:\n" + vm);
        Assert.Equal(new[] { "P", "W", "S", "PCD", "G", "NX" }, pte.Groups[1].Value.Split(' ', System.StringSplitOptions.RemoveEmptyEntries));
        // Its alias in the direct map has the same memory type (no aliases with different types).
        Match console = Regex.Match(qemu.Output, @"console: framebuffer \d+x\d+ at 0x([0-9a-f]+),");
        Assert.True(console.Success, "no console line:\n" + qemu.Output);
        ulong alias = DirectMap + System.Convert.ToUInt64(console.Groups[1].Value, 16);
        string directMap = qemu.Run($"vm 0x{alias:x}");
        Match pde = Regex.Match(directMap, @"\n  PDE +0x[0-9a-f]+ ([A-Z ]+)\n-> physical 0x[0-9a-f]+ \(2 MiB page\)");
        Assert.True(pde.Success, "vm shows no 2 MiB page for the framebuffer's direct-map alias:\n" + directMap);
        Assert.Contains("PCD", pde.Groups[1].Value.Split(' '));
        Assert.Contains("NX", pde.Groups[1].Value.Split(' '));
        qemu.Run($"echo framebuffer console under {firmware}: 0123456789 ~!@#$%^&*()_+{{}}|:<>?");
        qemu.Run("cpuinfo");

        var screen = new ScreenText(qemu.Screendump());

        string output = qemu.Output;
        int kernelStart = output.IndexOf("C# kernel", System.StringComparison.Ordinal);
        Assert.True(kernelStart >= 0, "no kernel banner on COM1:\n" + output);
        IReadOnlyList<string> expected = screen.Wrap(output.Substring(kernelStart));
        Assert.True(expected.Count < screen.Rows, $"{expected.Count} rows of text do not fit the {screen.Rows}-row screen unscrolled");
        Assert.True(screen.RowHasInk(0), "the first text row is all background");
        Assert.Equal("C# kernel (x86-64, NativeAOT)", screen.Row(0));
        // The last row holds the prompt and the cursor under the next cell.
        for (int row = 0; row < expected.Count - 1; row++)
        {
            Assert.Equal(expected[row], screen.Row(row));
        }
        Assert.Equal(QemuSession.Prompt + ScreenText.Unreadable, screen.Row(expected.Count - 1));
        Assert.False(screen.RowHasInk(expected.Count), "text below the prompt");
    }
}
