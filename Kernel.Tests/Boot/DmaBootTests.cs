using System;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Kernel.Tests.Boot;

/// <summary>
/// The floppy (ISA DMA, 8237 channel 2) and IDE (PCI bus-master) drivers on QEMU's emulated hardware,
/// reading images whose every sector names itself. With 5 GiB of RAM the frame allocator's first choice
/// lies above 4 GiB, so every buffer below a limit is there because the driver asked for it.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class DmaBootTests : IClassFixture<DmaTestImages>
{
    private const ulong Below16MiB = 16UL << 20;
    private const ulong Below4GiB = 4UL << 30;
    private const ulong IsaDmaPage = 64 * 1024;
    private const ulong PrdRegionBoundary = 64 * 1024;

    private static readonly Regex s_dumpLine = new Regex(@"^  ([0-9a-f]{4}) ((?: [0-9a-f]{2}){1,16})  \|", RegexOptions.Multiline);

    private readonly DmaTestImages _images;
    private readonly ITestOutputHelper _output;

    public DmaBootTests(DmaTestImages images, ITestOutputHelper output)
    {
        _images = images;
        _output = output;
    }

    private static ulong Hex(string digits) => ulong.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>The bytes of a hex dump, in order, checking that the offsets run on without a gap.</summary>
    private static byte[] DumpedBytes(string reply)
    {
        var bytes = new System.Collections.Generic.List<byte>();
        foreach (Match line in s_dumpLine.Matches(reply))
        {
            Assert.Equal(bytes.Count, (int)Hex(line.Groups[1].Value));
            foreach (string pair in line.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                bytes.Add((byte)Hex(pair));
            }
        }
        return bytes.ToArray();
    }

    private static void AssertDumpMatches(byte[] image, long offset, string reply)
    {
        byte[] dumped = DumpedBytes(reply);
        Assert.True(dumped.Length == 64, "expected a 64-byte dump:\n" + reply);
        Assert.Equal(new ArraySegment<byte>(image, (int)offset, dumped.Length).ToArray(), dumped);
    }

    [Fact]
    public void Floppy_reads_by_ISA_DMA_match_the_image_through_a_buffer_below_16_MiB_inside_one_64_KiB_page()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G", extraArguments: _images.QemuDrives);
        // First and last sector, both heads of cylinder 0, a cylinder change, the middle and the end.
        foreach (int lba in new[] { 0, 1, 17, 18, 35, 36, 1000, 1439, 2879 })
        {
            string reply = qemu.Run("fd read " + lba);
            Assert.Contains("fd0: CMOS drive type 4 (3.5\" 1.44 MB", reply);
            Match read = Regex.Match(reply, @"read LBA (\d+) \(C (\d+) H (\d+) S (\d+)\): buffer 0x([0-9a-f]{16}) \((\d+) B");
            Assert.True(read.Success, $"fd read {lba} printed no buffer line:\n{reply}");
            Assert.Equal(lba, int.Parse(read.Groups[1].Value, CultureInfo.InvariantCulture));
            Assert.Equal(lba / 36, int.Parse(read.Groups[2].Value, CultureInfo.InvariantCulture));
            Assert.Equal(lba / 18 % 2, int.Parse(read.Groups[3].Value, CultureInfo.InvariantCulture));
            Assert.Equal(lba % 18 + 1, int.Parse(read.Groups[4].Value, CultureInfo.InvariantCulture));

            ulong buffer = Hex(read.Groups[5].Value);
            ulong end = buffer + DmaTestImages.SectorSize;
            Assert.True(end <= Below16MiB, $"floppy DMA buffer 0x{buffer:x} is not below 16 MiB");
            Assert.True(buffer / IsaDmaPage == (end - 1) / IsaDmaPage, $"floppy DMA buffer 0x{buffer:x} crosses a 64 KiB boundary");
            AssertDumpMatches(_images.Floppy, (long)lba * DmaTestImages.SectorSize, reply);
        }
    }

    [Fact]
    public void Ide_reads_by_bus_master_DMA_match_the_image_with_the_PRD_table_and_regions_below_4_GiB()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G", extraArguments: _images.QemuDrives);
        string pci = qemu.Run("pci");
        Assert.Matches(@"00:01\.1 8086:7010 class 01\.01\.[0-9a-f]{2} IDE controller", pci);
        string info = qemu.Run("ide info");
        Assert.Contains("bus master 0x", info);
        Assert.Matches(@"primary master: ""QEMU HARDDISK"", 16384 sectors \(8 MiB\)", info);

        foreach ((int lba, int count) in new[] { (0, 1), (1, 1), (7, 8), (1000, 256), (4097, 100), (16383, 1), (16128, 256) })
        {
            string reply = qemu.Run($"ide read {lba} {count}");
            Match read = Regex.Match(reply, @"read LBA (\d+), (\d+) sectors? \(READ DMA\): PRD table 0x([0-9a-f]{16}), (\d+) regions?");
            Assert.True(read.Success, $"ide read {lba} {count} printed no PRD line:\n{reply}");
            ulong table = Hex(read.Groups[3].Value);
            Assert.True(table % 4 == 0, $"PRD table 0x{table:x} is not dword aligned");
            Assert.True(table + 64 <= Below4GiB, $"PRD table 0x{table:x} is not below 4 GiB");
            Assert.True(table / PrdRegionBoundary == (table + 63) / PrdRegionBoundary, $"PRD table 0x{table:x} crosses a 64 KiB boundary");

            MatchCollection regions = Regex.Matches(reply, @"^  region (\d+): 0x([0-9a-f]{16}) (\d+) B$", RegexOptions.Multiline);
            Assert.Equal(int.Parse(read.Groups[4].Value, CultureInfo.InvariantCulture), regions.Count);
            ulong total = 0;
            foreach (Match region in regions)
            {
                ulong start = Hex(region.Groups[2].Value);
                ulong size = ulong.Parse(region.Groups[3].Value, CultureInfo.InvariantCulture);
                Assert.True(start + size <= Below4GiB, $"PRD region 0x{start:x} is not below 4 GiB");
                Assert.True(size <= PrdRegionBoundary && start / PrdRegionBoundary == (start + size - 1) / PrdRegionBoundary,
                    $"PRD region 0x{start:x} ({size} B) crosses a 64 KiB boundary");
                Assert.True(start % 2 == 0, $"PRD region 0x{start:x} is not word aligned");
                total += size;
            }
            Assert.Equal((ulong)count * DmaTestImages.SectorSize, total);

            long offset = (long)lba * DmaTestImages.SectorSize;
            AssertDumpMatches(_images.Disk, offset, reply);
            uint expected = DmaTestImages.Fnv1a(_images.Disk, offset, count * DmaTestImages.SectorSize);
            Assert.Contains($"fnv1a 0x{expected:x8}", reply);
        }

        // A software reset of the channel (what a failed command gets) leaves it reading correctly.
        Assert.Contains("ide: primary channel reset: ok", qemu.Run("ide reset"));
        uint afterReset = DmaTestImages.Fnv1a(_images.Disk, 1000L * DmaTestImages.SectorSize, 256 * DmaTestImages.SectorSize);
        Assert.Contains($"fnv1a 0x{afterReset:x8}", qemu.Run("ide read 1000 256"));
    }

    [Fact]
    public void Ide_info_lists_the_devices_at_all_four_positions_and_reads_use_the_first_ATA_disk()
    {
        // The boot CD-ROM is the secondary master (QEMU's -cdrom); disks as primary master and secondary slave.
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: new[]
        {
            "-drive", $"file={_images.DiskPath},format=raw,if=ide,index=0",
            "-drive", $"file={_images.BlankDisk("second", 3)},format=raw,if=ide,index=3",
        });
        string info = qemu.Run("ide info");
        Assert.Matches(@"primary channel \(compatibility\): command 0x01f0, control 0x03f6, bus master 0x[0-9a-f]{4}, IRQ 14\n", info);
        Assert.Matches(@"secondary channel \(compatibility\): command 0x0170, control 0x0376, bus master 0x[0-9a-f]{4}, IRQ 15\n", info);
        Assert.Matches(@"  primary master: ""QEMU HARDDISK"", 16384 sectors \(8 MiB\)", info);
        Assert.Contains("  primary slave: none\n", info);
        Assert.Contains("  secondary master: not an ATA disk", info);
        Assert.Matches(@"  secondary slave: ""QEMU HARDDISK"", 6144 sectors \(3 MiB\)", info);
        Assert.Contains("ATA disks: 2; ide read, bench and reset use the first, primary master", info);
        uint expected = DmaTestImages.Fnv1a(_images.Disk, 0, 8 * DmaTestImages.SectorSize);
        Assert.Contains($"fnv1a 0x{expected:x8}", qemu.Run("ide read 0 8"));
    }

    [Fact]
    public void Reads_that_reach_past_LBA_2_pow_28_use_READ_DMA_EXT_on_a_disk_larger_than_128_GiB()
    {
        const int Lba28Limit = 1 << 28;
        const int First = Lba28Limit - 4;
        const long Sectors = (129L << 30) / DmaTestImages.SectorSize;
        string disk = _images.SparseDisk("large", Sectors, First, 8);
        byte[] tagged = DmaTestImages.Sectors("HD", First, 8);
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: new[]
        {
            "-drive", $"file={disk},format=raw,if=ide,index=1",
        });
        Assert.Matches($@"  primary slave: ""QEMU HARDDISK"", {Sectors} sectors \({129 * 1024} MiB\), LBA48 yes", qemu.Run("ide info"));
        // Below the limit READ DMA; a request that ends past it, and one wholly past it, READ DMA EXT.
        foreach ((int lba, int count, string command) in new[] { (First, 4, "READ DMA"), (First + 2, 4, "READ DMA EXT"), (Lba28Limit + 1, 3, "READ DMA EXT") })
        {
            string reply = qemu.Run($"ide read {lba} {count}");
            Assert.Contains($"read LBA {lba}, {count} sectors ({command}):", reply);
            uint expected = DmaTestImages.Fnv1a(tagged, (long)(lba - First) * DmaTestImages.SectorSize, count * DmaTestImages.SectorSize);
            Assert.Contains($"fnv1a 0x{expected:x8}", reply);
        }
    }

    [Fact]
    public void A_disk_as_primary_slave_alone_is_the_first_ATA_disk()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: new[]
        {
            "-drive", $"file={_images.DiskPath},format=raw,if=ide,index=1",
        });
        string info = qemu.Run("ide info");
        Assert.Contains("  primary master: no ATA disk", info);
        Assert.Matches(@"  primary slave: ""QEMU HARDDISK"", 16384 sectors \(8 MiB\)", info);
        Assert.Contains("ATA disks: 1; ide read, bench and reset use the first, primary slave", info);
        uint expected = DmaTestImages.Fnv1a(_images.Disk, 1000L * DmaTestImages.SectorSize, 256 * DmaTestImages.SectorSize);
        Assert.Contains($"fnv1a 0x{expected:x8}", qemu.Run("ide read 1000 256"));
        Assert.Contains("ide: primary channel reset: ok", qemu.Run("ide reset"));
        Assert.Contains($"fnv1a 0x{expected:x8}", qemu.Run("ide read 1000 256"));
    }

    /// <summary>The virtual address of the pebble named <paramref name="name"/> in a <c>dma</c> listing.</summary>
    private static string PebbleNamed(string dma, string name)
    {
        Match m = Regex.Match(dma, @"^  used 0x([0-9a-f]{16}) .* '" + Regex.Escape(name) + "'$", RegexOptions.Multiline);
        Assert.True(m.Success, $"no pebble '{name}' in dma:\n{dma}");
        return m.Groups[1].Value;
    }

    [Fact]
    public void The_shell_cannot_free_the_IDE_drivers_buffers_and_reads_stay_correct()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G", extraArguments: _images.QemuDrives);
        uint expected = DmaTestImages.Fnv1a(_images.Disk, 0, 8 * DmaTestImages.SectorSize);
        Assert.Contains($"fnv1a 0x{expected:x8}", qemu.Run("ide read 0 8"));
        string before = qemu.Run("dma");

        foreach (string name in new[] { "ide buffer", "ide prd table" })
        {
            string address = PebbleNamed(before, name);
            string reply = qemu.Run("dma free 0x" + address);
            Assert.Contains($"dma free 0x{address}: refused: owned by #0 '{name}', not by the shell", reply);
            Assert.DoesNotContain(": ok", reply);
        }

        // The driver's memory is untouched: the next reads return the disk's bytes, through the same buffers.
        Assert.Contains($"fnv1a 0x{expected:x8}", qemu.Run("ide read 0 8"));
        uint further = DmaTestImages.Fnv1a(_images.Disk, 4096L * DmaTestImages.SectorSize, 256 * DmaTestImages.SectorSize);
        Assert.Contains($"fnv1a 0x{further:x8}", qemu.Run("ide read 4096 256"));
        string after = qemu.Run("dma");
        Assert.Equal(PebbleNamed(before, "ide buffer"), PebbleNamed(after, "ide buffer"));
        Assert.Equal(PebbleNamed(before, "ide prd table"), PebbleNamed(after, "ide prd table"));
        Assert.Equal(PebbleFigures(before), PebbleFigures(after));

        // What the shell allocated, the shell may free.
        Match mine = Regex.Match(qemu.Run("dma alloc 4096 low4g,physical"), @"virtual 0x([0-9a-f]{16})");
        Assert.True(mine.Success, "dma alloc printed no address");
        Assert.Contains($"dma free 0x{mine.Groups[1].Value}: ok", qemu.Run("dma free 0x" + mine.Groups[1].Value));
    }

    /// <summary>The first line of <c>dma</c>: buckets, their KiB, pebbles in use and the bytes they requested.</summary>
    private static (ulong Buckets, ulong BucketKiB, ulong InUse, ulong Requested) PebbleFigures(string dma)
    {
        Match m = Regex.Match(dma, @"^buckets (\d+) \((\d+) KiB\), pebbles in use (\d+) \((\d+) B requested\)", RegexOptions.Multiline);
        Assert.True(m.Success, "no statistics line in dma:\n" + dma);
        ulong Field(int i) => ulong.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
        return (Field(1), Field(2), Field(3), Field(4));
    }

    /// <summary>The physical range a bench line reports ("label 0x...-0x..."): lowest buffer start, highest end.</summary>
    private static (ulong Lowest, ulong Highest) BenchRange(string reply, string label)
    {
        Match m = Regex.Match(reply, Regex.Escape(label) + @" 0x([0-9a-f]{16})-0x([0-9a-f]{16}),");
        Assert.True(m.Success, $"no '{label}' range in:\n{reply}");
        return (Hex(m.Groups[1].Value), Hex(m.Groups[2].Value));
    }

    [Fact]
    public void Hundreds_of_DMA_reads_leave_the_free_frame_count_where_it_started()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G", extraArguments: _images.QemuDrives);
        // The first use of each driver allocates its bookkeeping from the kernel heap: not a leak.
        Assert.Contains("fnv1a", qemu.Run("ide read 0"));
        Assert.Contains("0000 ", qemu.Run("fd read 0"));
        ulong before = Meminfo.FreeFrames(qemu.Run("meminfo"));
        var pebblesBefore = PebbleFigures(qemu.Run("dma"));

        string fd = qemu.Run("fd bench 300", 120);
        Match fdBench = Regex.Match(fd, @"fd bench: 300 sectors in \d+ ms, \d+ KiB/s, fnv1a 0x([0-9a-f]{8})");
        Assert.True(fdBench.Success, "fd bench printed no result:\n" + fd);
        Assert.Equal($"{DmaTestImages.Fnv1a(_images.Floppy, 0, 300 * DmaTestImages.SectorSize):x8}", fdBench.Groups[1].Value);
        Assert.Contains(" 0 outside 16 MiB or across 64 KiB", fd);
        // The limit checked here on the addresses printed, not only through the kernel's own count.
        var fdRange = BenchRange(fd, "buffers:");
        Assert.True(fdRange.Lowest < fdRange.Highest && fdRange.Highest <= Below16MiB,
            $"floppy bench buffers 0x{fdRange.Lowest:x}-0x{fdRange.Highest:x} are not all below 16 MiB");

        string ide = qemu.Run("ide bench 2 8", 120);
        Match ideBench = Regex.Match(ide, @"ide bench: 2 MiB in 512 requests of 8 sectors, .* fnv1a 0x([0-9a-f]{8})");
        Assert.True(ideBench.Success, "ide bench printed no result:\n" + ide);
        Assert.Equal($"{DmaTestImages.Fnv1a(_images.Disk, 0, 2 << 20):x8}", ideBench.Groups[1].Value);
        Assert.Contains(" 0 above 4 GiB or across 64 KiB", ide);
        var ideRange = BenchRange(ide, "dma memory:");
        Assert.True(ideRange.Lowest < ideRange.Highest && ideRange.Highest <= Below4GiB,
            $"IDE bench buffers 0x{ideRange.Lowest:x}-0x{ideRange.Highest:x} are not all below 4 GiB");

        ulong after = Meminfo.FreeFrames(qemu.Run("meminfo"));
        Assert.Equal(before, after);
        // Every buffer went back: the pebble allocator holds what it held before, bucket for bucket.
        Assert.Equal(pebblesBefore, PebbleFigures(qemu.Run("dma")));
    }

    [Fact]
    public void Ide_bench_reads_4_MiB_in_128_KiB_requests_and_reports_its_rate()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G", extraArguments: _images.QemuDrives);
        string bench = qemu.Run("ide bench 4", 120);
        Match m = Regex.Match(bench, @"ide bench: 4 MiB in 32 requests of 256 sectors, (\d+) ms, (\d+\.\d\d) MiB/s, fnv1a 0x([0-9a-f]{8})");
        Assert.True(m.Success, "ide bench printed no result:\n" + bench);
        Assert.Equal($"{DmaTestImages.Fnv1a(_images.Disk, 0, 4 << 20):x8}", m.Groups[3].Value);
        Assert.True(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) > 0, "no rate:\n" + bench);
        Assert.Contains(" 0 above 4 GiB or across 64 KiB", bench);
        _output.WriteLine(bench.Trim());
    }

    [Fact]
    public void A_thread_waiting_for_the_disk_sleeps_and_a_program_runs_meanwhile()
    {
        // QEMU's throttling holds requests back (50 per second after a burst of a few), so a request outlasts by far
        // the instructions between its start and the wait, and the waiting thread must sleep rather than find it done.
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), extraArguments: new[]
        {
            "-drive", $"file={_images.DiskPath},format=raw,if=ide,index=0,throttling.iops-total=50",
        });
        Match started = Regex.Match(qemu.Run("run spin &"), @"process (\d+) \(spin\) started\n");
        Assert.True(started.Success, "spin did not start");
        string pid = started.Groups[1].Value;
        // The TICKS column is the last of ps.
        var spinTicks = new Regex(@"^\s+" + pid + @"\s+spin\s+\w+\s.*\s(\d+)$", RegexOptions.Multiline);
        ulong before = ulong.Parse(spinTicks.Match(qemu.Run("ps")).Groups[1].Value, CultureInfo.InvariantCulture);

        string bench = qemu.Run("ide bench 1 64", 120);
        Match m = Regex.Match(bench, @"ide bench: 1 MiB in 32 requests of 64 sectors, (\d+) ms, .* fnv1a 0x([0-9a-f]{8})");
        Assert.True(m.Success, "ide bench printed no result:\n" + bench);
        Assert.Equal($"{DmaTestImages.Fnv1a(_images.Disk, 0, 1 << 20):x8}", m.Groups[2].Value);
        // A request that sleeps switches away and back: two switches (QEMU lets the first few through at once).
        Match switches = Regex.Match(bench, @"context switches (\d+) while waiting for the disk");
        Assert.True(switches.Success, "no context-switch count:\n" + bench);
        Assert.True(ulong.Parse(switches.Groups[1].Value, CultureInfo.InvariantCulture) >= 16, bench);

        ulong after = ulong.Parse(spinTicks.Match(qemu.Run("ps")).Groups[1].Value, CultureInfo.InvariantCulture);
        ulong benchMs = ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        _output.WriteLine($"{bench.Trim()}\nspin ran {after - before} ms of the bench's {benchMs} ms");
        Assert.True(after - before >= benchMs / 4, $"spin ran {after - before} ms during a {benchMs} ms bench");
        qemu.Run("kill " + pid);
    }

    [Fact]
    public void Without_drives_fd_and_ide_say_what_is_missing_and_bad_arguments_print_usage()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        // QEMU's default floppy drive without a disk is a 2.88 MB one (CMOS type 5).
        Assert.Contains("not a 3.5\" 1.44 MB drive", qemu.Run("fd read 0"));
        Assert.Contains("ide: no ATA disk on either channel", qemu.Run("ide read 0"));
        Assert.Contains("  secondary master: not an ATA disk", qemu.Run("ide info"));
        Assert.Contains("usage: fd read LBA | bench SECTORS", qemu.Run("fd"));
        Assert.Contains("usage: fd", qemu.Run("fd read 0xZZ"));
        Assert.Contains("usage: fd", qemu.Run("fd write 0"));
        Assert.Contains("fd: LBA out of range", qemu.Run("fd read 2880"));
        Assert.Contains("usage: ide info | read LBA [COUNT] | bench MIB [SECTORS]", qemu.Run("ide"));
        Assert.Contains("ide: COUNT must be 1 to 256", qemu.Run("ide read 0 257"));
        Assert.Contains("ide: MIB must be 1 to", qemu.Run("ide bench 0"));
        Assert.Contains("usage: pci", qemu.Run("pci extra"));
        Assert.Contains("up 0:00:", qemu.Run("uptime"));
    }
}
