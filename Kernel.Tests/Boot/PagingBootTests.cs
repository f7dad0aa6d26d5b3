using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Kernel.Tests.Boot;

/// <summary>
/// Page replacement with a page file on QEMU's primary slave: a heap twice the machine's RAM written and read
/// back, two at once; the pagefile suite's exact figures under each policy; a full page file and a failing disk
/// ending only the process that needed them; and every slot and frame back after each program.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class PagingBootTests : IClassFixture<PageFileImages>
{
    private readonly PageFileImages _images;
    private readonly ITestOutputHelper _output;

    public PagingBootTests(PageFileImages images, ITestOutputHelper output)
    {
        _images = images;
        _output = output;
    }

    private static string[] Drive(string path) => new[] { "-drive", $"file={path},format=raw,if=ide,index=1" };

    private static ulong SlotsInUse(QemuSession qemu)
    {
        Match m = Regex.Match(qemu.Run("pagefile"), @"slots in use (\d+),");
        Assert.True(m.Success);
        return ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    // Two 64 MiB heaps in 32 MiB of RAM fit a 128 MiB page file only because pages read back give their slots up
    // once it is half full: kept copies of resident pages would need a slot for every page ever evicted.
    [Fact]
    public void A_64_MiB_heap_is_written_and_verified_in_32_MiB_of_RAM_and_two_such_programs_at_once_with_a_128_MiB_page_file()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "32M", extraArguments: Drive(_images.Sized(128)));
        Assert.Contains("page file: primary slave", qemu.Output);
        qemu.Run("run hello -q");
        ulong frames = Meminfo.FreeFrames(qemu.Run("meminfo"));

        string one = qemu.Run("run bigheap 64", 300);
        _output.WriteLine(one.Trim());
        Assert.Contains("bigheap: every word read back as written\n", one);
        Assert.Matches(@"process \d+ \(bigheap\) exited with status 0\n", one);
        Assert.True(ulong.Parse(Regex.Match(one, @"page-outs (\d+)").Groups[1].Value, CultureInfo.InvariantCulture) > 8192, one);

        qemu.Run("run bigheap 64 2 &");
        qemu.Run("run bigheap 64 3 &");
        string both = qemu.WaitFor("(bigheap) exited with status 0", 600) + qemu.WaitFor("(bigheap) exited with status 0", 600);
        _output.WriteLine(both.Trim());
        Assert.DoesNotContain("FAIL", both);
        qemu.Resync();

        Assert.Equal(0UL, SlotsInUse(qemu));
        Assert.Equal(frames, Meminfo.FreeFrames(qemu.Run("meminfo")));
    }

    [Fact]
    public void The_pagefile_suite_sees_exactly_the_models_figures_under_every_policy()
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"), extraArguments: Drive(_images.FreshCopy()));
        int status = qemu.WaitForExit(300);
        string output = qemu.Output;
        foreach (Match line in Regex.Matches(output, @"(refpattern: .*)|(\[FAIL\] .*)"))
        {
            _output.WriteLine(line.Value);
        }
        Assert.True(!output.Contains("[FAIL]"), "a check failed:\n" + string.Join("\n", Regex.Matches(output, @"(refpattern: .*)|(\[FAIL\] .*)")));
        Assert.Contains("[PASS] pagefile.refpattern_clock_agrees_with_the_model\n", output);
        Assert.Contains("[PASS] pagefile.refpattern_modified_clock_agrees_with_the_model\n", output);
        Assert.Contains("[PASS] pagefile.refpattern_lru_aging_agrees_with_the_model\n", output);
        Assert.Contains("[PASS] pagefile.modified_clock_writes_fewer_pages_than_clock_on_a_read_mostly_pattern\n", output);
        Assert.Contains("[PASS] pagefile.every_page_file_slot_comes_back\n", output);
        Assert.Matches(@"selftest: \d+ passed, 0 failed", output);
        Assert.Equal(QemuSession.Success, status);
    }

    [Fact]
    public void A_full_page_file_ends_only_the_process_that_needed_a_slot_and_gives_every_slot_back()
    {
        // The smallest image the tool makes: 1 MiB, its header and 255 slots, whose size is named in KiB, not "0 MiB".
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "64M", extraArguments: Drive(_images.Sized(1)));
        Assert.Contains("page file: primary slave \"QEMU HARDDISK\", 255 slots (1020 KiB)\n", qemu.Output);
        qemu.Run("run hello -q");
        ulong frames = Meminfo.FreeFrames(qemu.Run("meminfo"));
        Match started = Regex.Match(qemu.Run("run spin &"), @"process (\d+) \(spin\) started\n");
        Assert.True(started.Success);

        // 4 MiB through a 64-page working set needs about 1,000 slots; the page file has 255.
        string full = qemu.Run("run -ws 64 bigheap 4", 120);
        _output.WriteLine(full.Trim());
        Assert.Matches(@"process \d+ \(bigheap\) killed: page file full: no slot to evict a page to, for page 0x[0-9a-f]{16} at rip 0x[0-9a-f]{16} \(Program\.Main\+0x[0-9a-f]+\)\n", full);

        Assert.Matches(new Regex(@"^\s+" + started.Groups[1].Value + @"\s+spin\s+(ready|running)", RegexOptions.Multiline), qemu.Run("ps"));
        Assert.Equal(0UL, SlotsInUse(qemu));
        // 1 MiB (about 270 pages with the program's own) through 64 resident pages fits in 255 slots.
        Assert.Contains("every word read back as written", qemu.Run("run -ws 64 bigheap 1", 120));
        Assert.Contains($"process {started.Groups[1].Value} (spin) killed: by request", qemu.Run("kill " + started.Groups[1].Value));
        Assert.Equal(0UL, SlotsInUse(qemu));
        Assert.Equal(frames, Meminfo.FreeFrames(qemu.Run("meminfo")));
    }

    [Fact]
    public void A_disk_that_fails_a_page_in_ends_only_the_faulting_process_and_the_page_file_goes_on()
    {
        string image = _images.FreshCopy();
        // Slot 0 (sector 8) is the first a victim is written to; reading it back fails.
        string config = _images.ReadErrorConfig(8);
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "64M", extraArguments: new[]
        {
            "-drive", $"if=ide,index=1,format=raw,file.driver=blkdebug,file.config={config},file.image.filename={image}",
        });
        Assert.Contains("page file: primary slave", qemu.Output);
        ulong frames = Meminfo.FreeFrames(qemu.Run("meminfo"));

        string failed = qemu.Run("run -ws 16 bigheap 1", 120);
        _output.WriteLine(failed.Trim());
        Assert.Matches(@"process \d+ \(bigheap\) killed: page file: the disk failed a transfer, for page 0x[0-9a-f]{16}", failed);
        Assert.Equal(0UL, SlotsInUse(qemu));
        Assert.Equal(frames, Meminfo.FreeFrames(qemu.Run("meminfo")));

        // The failing slot is free again and the next victim goes there; other slots serve a second program.
        string vmstat = qemu.Run("vmstat");
        Assert.Contains("page file: in use", vmstat);
        Assert.Contains("exited with status 0", qemu.Run("run hello"));
    }
}
