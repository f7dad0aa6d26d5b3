using System;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// The selftest entry on machines other than the default (<c>-cpu max</c>, i440FX, one CPU): CPUs without
/// NX, where bit 63 of a page-table entry is reserved, the baseline qemu64 model, the Q35 chipset and a
/// second processor that the kernel leaves asleep. Each boot takes a few seconds.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class MachineModelBootTests
{
    private static string AssertSelftestPasses(string cpu, params string[] machine)
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"), extraArguments: machine, cpu: cpu);
        int status = qemu.WaitForExit();
        string output = qemu.Output;

        Assert.DoesNotContain("KERNEL PANIC", output);
        Assert.DoesNotContain("[FAIL]", output);
        Assert.Matches(@"selftest: \d+ passed, 0 failed", output);
        Assert.True(status == QemuSession.Success, $"QEMU exit status {status} with -cpu {cpu} {string.Join(' ', machine)}, expected {QemuSession.Success}. Output:\n{output}");
        return output;
    }

    [Theory]
    [InlineData("max,-nx")]
    [InlineData("qemu64,-nx")]
    public void Selftest_passes_on_a_cpu_without_no_execute(string cpu)
    {
        AssertSelftestPasses(cpu);
    }

    [Fact]
    public void Selftest_passes_on_the_baseline_qemu64_cpu()
    {
        AssertSelftestPasses("qemu64");
    }

    [Fact]
    public void Selftest_passes_on_the_q35_chipset()
    {
        string output = AssertSelftestPasses(QemuSession.DefaultCpu, "-machine", "q35");

        // Q35 has AHCI, not IDE (-drive if=ide lands there): the absence of a page file says why.
        Assert.Contains("page file: none (no PCI IDE controller; the page file must be an ATA disk on one): out of memory kills the faulting process\n", output);
    }

    [Fact]
    public void Selftest_passes_with_a_second_processor_left_asleep()
    {
        AssertSelftestPasses(QemuSession.DefaultCpu, "-smp", "2");
    }
}
