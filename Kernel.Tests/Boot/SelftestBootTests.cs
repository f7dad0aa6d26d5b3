using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

[Collection(BootCollection.Name)]
public sealed class SelftestBootTests
{
    [Fact]
    public void Selftest_entry_runs_every_suite_and_exits_33_with_zero_failures()
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"));
        int status = qemu.WaitForExit();
        string output = qemu.Output;

        Assert.Matches(@"\nselftest: \d+ passed, 0 failed\n", output);
        Assert.DoesNotContain("[FAIL]", output);
        Assert.Contains("[PASS] runtime.interface.five_implementers", output);
        Assert.Contains("[PASS] arch.timer_ticks_advance", output);
        Assert.True(status == QemuSession.Success, $"QEMU exit status {status}, expected {QemuSession.Success}. Output:\n{output}");
        foreach (string suite in new[] { "runtime", "arch", "frames", "paging", "kheap", "pebble", "user", "uheap", "pagefile" })
        {
            Assert.Contains($"[PASS] {suite}.no_leak\n", output);
        }
    }

    private static (string BlockBytes, string PageAreaPages, ulong FreeFrames) HeapFigures(string meminfo)
    {
        Match block = Regex.Match(meminfo, @"block area: \d+ pages, (\d+) B in use");
        Match pages = Regex.Match(meminfo, @"page area: +(\d+) pages in use");
        Assert.True(block.Success && pages.Success, "meminfo lacks the heap figures:\n" + meminfo);
        return (block.Groups[1].Value, pages.Groups[1].Value, Meminfo.FreeFrames(meminfo));
    }

    [Fact]
    public void Selftest_twice_from_the_shell_passes_both_times_and_the_second_run_leaks_nothing()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        // The first run makes the one-time state its suites warm up (the interface-dispatch cache, the
        // compiler-cached delegates); from then on a run must leave the heap and the frames exactly as it
        // found them.
        string first = qemu.Run("selftest", 120);
        var afterFirst = HeapFigures(qemu.Run("meminfo"));
        string second = qemu.Run("selftest", 120);
        var afterSecond = HeapFigures(qemu.Run("meminfo"));

        foreach (string run in new[] { first, second })
        {
            Assert.DoesNotContain("[FAIL]", run);
            Assert.Matches(@"selftest: \d+ passed, 0 failed", run);
            Assert.Equal(9, Regex.Matches(run, @"\[PASS\] \w+\.no_leak\n").Count);
        }
        Assert.Equal(afterFirst, afterSecond);
    }
}
