using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Kernel.Tests.Boot;

/// <summary>
/// The page file on QEMU's IDE disks: found by its signature and only then written, its slots written and read
/// back through a frame above 4 GiB, and a disk error (injected with QEMU's blkdebug) reported as a status
/// while the kernel goes on.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class PageFileBootTests : IClassFixture<PageFileImages>, IClassFixture<DmaTestImages>
{
    private const string NoPageFile = "page file: none (no disk carries the page-file signature): out of memory kills the faulting process";

    private readonly PageFileImages _pageFiles;
    private readonly DmaTestImages _images;
    private readonly ITestOutputHelper _output;

    public PageFileBootTests(PageFileImages pageFiles, DmaTestImages images, ITestOutputHelper output)
    {
        _pageFiles = pageFiles;
        _images = images;
        _output = output;
    }

    private static string[] Drive(string path, int index) => new[] { "-drive", $"file={path},format=raw,if=ide,index={index}" };

    private static ulong Field(string text, string pattern)
    {
        Match m = Regex.Match(text, pattern);
        Assert.True(m.Success, $"'{pattern}' not in:\n{text}");
        return ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_page_file_disk_is_found_its_slots_hold_what_was_written_and_nothing_leaks()
    {
        string image = _pageFiles.FreshCopy();
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G", extraArguments: Drive(image, 1));
        Assert.Contains($"page file: primary slave \"QEMU HARDDISK\", {PageFileImages.Slots} slots ({PageFileImages.Slots * 4 / 1024} MiB)\n", qemu.Output);
        string show = qemu.Run("pagefile");
        Assert.Contains($"slot 0 at LBA 8, uuid {_pageFiles.Uuid}\n", show);
        Assert.Contains("slots in use 0,", show);
        _output.WriteLine(Regex.Match(show, @"boot probe .*").Value);
        Assert.Matches(@"boot probe \(IDE controller, four positions, sector 0 of each disk\): \d+ us", show);

        // The first run takes the channel's buffer and the command's bookkeeping: not a leak.
        Assert.Contains(": ok (0 transfers failed, 0 pages read back wrong)", qemu.Run("pagefile test 1"));
        ulong freeFrames = Meminfo.FreeFrames(qemu.Run("meminfo"));
        string test = qemu.Run("pagefile test 16");
        _output.WriteLine(test.Trim());
        Match result = Regex.Match(test, @"pagefile test: 16 slots through frame 0x([0-9a-f]{16}) \(above 4 GiB\): ok \(0 transfers failed, 0 pages read back wrong\)");
        Assert.True(result.Success, "pagefile test failed:\n" + test);
        Assert.Matches(@"one 4 KiB page: write \d+ us, read \d+ us; 4 KiB memset \d+ cycles", test);
        Assert.Equal(freeFrames, Meminfo.FreeFrames(qemu.Run("meminfo")));
        string after = qemu.Run("pagefile");
        Assert.Contains("slots in use 0, free " + PageFileImages.Slots, after);
        Assert.Contains("pages read 17, written 17; disk errors 0, retries 0, failures 0; refused frees 0", after);
        qemu.Type("shutdown\r");
        qemu.WaitForExit();

        // On the disk: the header as the tool wrote it, the 16 slots the test took (slots 0 to 15, next fit
        // from where the first run's slot was) written, and nothing past them.
        byte[] disk = File.ReadAllBytes(image);
        Assert.Equal(_pageFiles.Template.Take(PageFileImages.SlotSize), disk.Take(PageFileImages.SlotSize));
        for (int slot = 0; slot < 16; slot++)
        {
            int offset = PageFileImages.SlotSize * (1 + slot);
            Assert.True(disk.Skip(offset).Take(PageFileImages.SlotSize).Any(b => b != 0), $"slot {slot} was not written");
        }
        Assert.All(disk.Skip(PageFileImages.SlotSize * 17), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Programs_larger_than_their_working_sets_page_through_it_two_at_once_taking_turns_on_the_channel()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: Drive(_pageFiles.FreshCopy(), 1));
        Assert.Contains("page file: in use", qemu.Run("vmstat"));
        // A set at the default limit (262144 pages) keeps vmstat's columns: "count/capacity" ends under WS/MAX.
        qemu.Run("run spin 2 &");
        string[] table = qemu.Run("vmstat").Split('\n');
        string header = table.First(l => l.Contains("WS/MAX"));
        string spin = table.First(l => l.Contains(" spin "));
        Assert.Equal(header.IndexOf("WS/MAX") + "WS/MAX".Length, spin.IndexOf("/262144") + "/262144".Length);
        int policy = header.IndexOf("POLICY");
        Assert.True(spin[policy - 1] == ' ' && char.IsLetter(spin[policy]), "the policy is not under POLICY:\n" + header + "\n" + spin);
        Assert.DoesNotContain(table, l => l.EndsWith(' '));
        qemu.WaitFor("(spin) exited with status 0", 60);
        qemu.Resync();
        qemu.Run("run -ws 32 bigheap 2 1 &");
        qemu.Run("run -ws 32 bigheap 2 2 &");
        string both = qemu.WaitFor("(bigheap) exited with status 0", 120) + qemu.WaitFor("(bigheap) exited with status 0", 120);
        _output.WriteLine(both.Trim());
        Assert.Equal(2, Regex.Matches(both, "bigheap: every word read back as written").Count);
        qemu.Resync();
        string show = qemu.Run("pagefile");
        Assert.Contains("slots in use 0,", show);
        Assert.True(Field(show, @"written (\d+);") >= 2 * 512 - 2 * 32, show);
        Assert.Contains("disk errors 0, retries 0, failures 0; refused frees 0", show);
        // Both processes faulted while the other's transfer was running: some commands slept for the channel.
        ulong waited = Field(qemu.Run("ide info"), @"primary channel .*\n.*waited for the channel (\d+)");
        _output.WriteLine($"commands that waited for the channel: {waited}");
        Assert.True(waited > 0);
    }

    [Fact]
    public void Without_disks_the_kernel_says_there_is_no_page_file()
    {
        // The only IDE device is the CD-ROM (ATAPI): the kernel says there is no ATA disk, not that disks lack the signature.
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        Assert.Contains("page file: none (no ATA disk on the IDE controller): out of memory kills the faulting process\n", qemu.Output);
        Assert.Contains("page file: none (no ATA disk on the IDE controller)\n", qemu.Run("pagefile"));
        Assert.Contains("pagefile: no page file", qemu.Run("pagefile test"));
        Assert.Contains("usage: pagefile [test [SLOTS]]", qemu.Run("pagefile frobnicate"));
        Assert.Contains("pagefile: SLOTS must be 1 to 256", qemu.Run("pagefile test 0"));
    }

    [Fact]
    public void Disks_without_a_valid_signature_are_never_written_and_the_page_file_is_the_signed_one()
    {
        string damaged = _pageFiles.DamagedCopy(100);
        byte[] damagedBefore = File.ReadAllBytes(damaged);
        string pageFile = _pageFiles.FreshCopy();
        string[] drives = Drive(_images.DiskPath, 0).Concat(Drive(damaged, 1)).Concat(Drive(pageFile, 3)).ToArray();
        using (QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: drives))
        {
            Assert.Contains("page file: primary slave: signature refused (checksum mismatch); the disk is not used\n", qemu.Output);
            Assert.Contains($"page file: secondary slave \"QEMU HARDDISK\", {PageFileImages.Slots} slots", qemu.Output);
            Assert.Contains(": ok (0 transfers failed", qemu.Run("pagefile test 64"));
            Assert.Contains("slots in use 0,", qemu.Run("pagefile"));
            Assert.Contains(": ok (0 transfers failed", qemu.Run("pagefile test 256"));
            qemu.Type("shutdown\r");
            qemu.WaitForExit();
        }
        Assert.Equal(_images.Disk, File.ReadAllBytes(_images.DiskPath));
        Assert.Equal(damagedBefore, File.ReadAllBytes(damaged));

        // Only the tagged disk, as primary master: still nothing is written, and there is no page file.
        using (QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: Drive(_images.DiskPath, 0)))
        {
            Assert.Contains(NoPageFile, qemu.Output);
            Assert.Contains("pagefile: no page file", qemu.Run("pagefile test"));
            qemu.Run("pagefile");
            qemu.Type("shutdown\r");
            qemu.WaitForExit();
        }
        Assert.Equal(_images.Disk, File.ReadAllBytes(_images.DiskPath));
    }

    [Fact]
    public void A_read_error_is_a_status_the_command_reports_and_the_kernel_goes_on()
    {
        // Reads of slot 3 (sector 8 + 3 * 8) fail with EIO; writes and every other sector work.
        string image = _pageFiles.FreshCopy();
        string config = _pageFiles.ReadErrorConfig(8 + 3 * 8);
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: new[]
        {
            "-drive", $"if=ide,index=1,format=raw,file.driver=blkdebug,file.config={config},file.image.filename={image}",
        });
        Assert.Contains("page file: primary slave", qemu.Output);
        string test = qemu.Run("pagefile test 8");
        _output.WriteLine(test.Trim());
        Assert.Contains("pagefile test: read of slot 3 failed: disk error (the device reported an error, after a retry)\n", test);
        Assert.Contains("8 slots through frame", test);
        Assert.Contains(": FAILED (1 transfers failed, 0 pages read back wrong)", test);
        string show = qemu.Run("pagefile");
        Assert.Contains("slots in use 0,", show);
        Assert.Contains("pages read 7, written 8; disk errors 2, retries 1, failures 1", show);
        // The channel was reset after each failure and works: other slots read back, the shell answers.
        Assert.True(Field(qemu.Run("ide info"), @"resets (\d+)") >= 2);
        Assert.Contains(": ok (0 transfers failed, 0 pages read back wrong)", qemu.Run("pagefile test 3"));
        Assert.Contains("up 0:00:", qemu.Run("uptime"));
    }
}
