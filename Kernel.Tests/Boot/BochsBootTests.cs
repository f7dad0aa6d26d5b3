using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// The kernel under a second emulator: Bochs models devices differently from QEMU (the UART sends at its
/// baud rate instead of at once), so it finds what QEMU lets pass.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class BochsBootTests
{
    [Theory]
    [InlineData("corei7_sandy_bridge_2600k")]
    [InlineData("corei7_skylake_x")]
    public void Selftest_entry_under_Bochs_passes_every_suite_and_powers_off(string cpu)
    {
        BochsRun bochs = BochsRun.Start(KernelImage.Iso(MenuEntry.Selftest, "poweroff"), cpu, 150);

        Assert.DoesNotContain("[FAIL]", bochs.Serial);
        Match result = Regex.Match(bochs.Serial, @"^selftest: (\d+) passed, (\d+) failed$", RegexOptions.Multiline);
        Assert.True(result.Success, "no selftest result line on COM1:\n" + bochs.Serial + "\nBochs:\n" + bochs.Screen);
        Assert.Equal("0", result.Groups[2].Value);
        Assert.True(int.Parse(result.Groups[1].Value) >= 150, "too few tests ran:\n" + bochs.Serial);
        Assert.Contains("[PASS] arch.serial_uart_loopback\n", bochs.Serial);
        // None of the loopback test's bytes may reach the line.
        string kernelText = bochs.Serial.Substring(bochs.Serial.IndexOf("C# kernel", System.StringComparison.Ordinal));
        Assert.DoesNotMatch(@"[^\t\n\x1b\x20-\x7e]", kernelText);
        foreach (string suite in new[] { "runtime", "arch", "frames", "paging", "kheap", "pebble" })
        {
            Assert.Contains($"[PASS] {suite}.no_leak\n", bochs.Serial);
        }
        Assert.True(bochs.PoweredOff, "Bochs did not end on the kernel's ACPI power-off:\n" + bochs.Screen);
    }
}
