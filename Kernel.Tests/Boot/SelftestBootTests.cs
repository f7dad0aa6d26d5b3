using Xunit;

namespace Kernel.Tests.Boot;

[Collection(BootCollection.Name)]
public sealed class SelftestBootTests
{
    private const int QemuSuccess = 33;

    [Fact]
    public void Selftest_entry_runs_every_suite_and_exits_33_with_zero_failures()
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"));
        int status = qemu.WaitForExit();
        string output = qemu.Output;

        Assert.Contains("selftest: ", output);
        Assert.Contains(" passed, 0 failed", output);
        Assert.DoesNotContain("[FAIL]", output);
        Assert.Contains("[PASS] runtime.interface.five_implementers", output);
        Assert.Contains("[PASS] arch.timer_ticks_advance", output);
        Assert.True(status == QemuSuccess, $"QEMU exit status {status}, expected {QemuSuccess}. Output:\n{output}");
    }
}
