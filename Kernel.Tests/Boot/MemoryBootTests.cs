using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// The kernel on its own memory manager across machine sizes: the in-kernel frames, paging and kheap suites
/// pass from a small machine to one with RAM above 4 GiB, and a machine below the minimum is refused with a
/// message instead of a crash.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class MemoryBootTests
{
    [Theory]
    [InlineData("20M")] // the documented minimum (MemoryManager.MinimumRamMiB)
    [InlineData("32M")]
    [InlineData("512M")]
    [InlineData("5G")]
    public void Selftest_passes_every_memory_suite_without_leaking_a_frame(string memory)
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"), memory);
        int status = qemu.WaitForExit(seconds: 60);
        string output = qemu.Output;

        Assert.DoesNotContain("[FAIL]", output);
        Assert.DoesNotContain("KERNEL PANIC", output);
        Assert.Matches(@"selftest: \d+ passed, 0 failed", output);
        foreach (string check in new[]
        {
            "frames.isa_dma_buffer_is_aligned_below_16_MiB_and_crosses_no_64_KiB_boundary",
            "frames.double_free_is_refused_without_changing_free_frames",
            "frames.no_frame_leaked",
            "paging.no_image_page_is_writable_and_executable",
            "paging.read_of_an_unmapped_page_faults_as_not_present",
            "paging.no_frame_or_page_table_leaked",
            "kheap.fos.two_and_a_half_units_extend_the_break",
            "kheap.fos.every_frame_is_back_after_teardown",
            "kheap.churn.every_allocation_keeps_its_contents",
            "kheap.bad_free.double_free_of_a_block_is_refused",
            "kheap.live_heap_leaks_no_frame",
        })
        {
            Assert.Contains("[PASS] " + check + "\n", output);
        }
        // Each suite prints its free-frame count before and after; they must agree.
        MatchCollection counts = Regex.Matches(output, @"free frames before (\d+), after (\d+)");
        Assert.Equal(3, counts.Count);
        Assert.All(counts, m => Assert.Equal(m.Groups[1].Value, m.Groups[2].Value));
        Assert.Contains("kfree: rejected", output);
        Assert.True(status == QemuSession.Success, $"QEMU exit status {status}, expected {QemuSession.Success}. Output:\n{output}");
    }

    [Fact]
    public void With_RAM_above_4_GiB_ordinary_frames_and_heap_pages_come_from_the_normal_zone()
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"), memory: "5G");
        int status = qemu.WaitForExit(seconds: 60);
        string output = qemu.Output;

        Assert.Contains("[PASS] frames.normal_zone.ordinary_frame_lies_at_or_above_4_GiB\n", output);
        Assert.Contains("[PASS] frames.normal_zone.frame_is_written_and_read_through_the_direct_map\n", output);
        Assert.DoesNotContain("ordinary_frame_falls_back_below_4_GiB", output);
        Assert.Contains("kheap: custom-fit scenario in units of 1024 KiB", output);
        Match normal = Regex.Match(output, @"\((\d+) heap pages were backed by frames above 4 GiB\)");
        Assert.True(normal.Success && long.Parse(normal.Groups[1].Value) > 0, "the scenario's heap pages did not come from above 4 GiB:\n" + output);
        Assert.Equal(QemuSession.Success, status);
    }

    [Fact]
    public void With_23_MiB_below_4_GiB_and_the_rest_above_it_the_frame_metadata_stays_under_the_boot_identity_map()
    {
        // GRUB's cutmem leaves 23 MiB below 4 GiB and QEMU's 1128 MiB above. The frame metadata (about 10 MiB)
        // does not fit between 16 and 23 MiB; above 4 GiB it could not be cleared before the direct map exists.
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel, "panic=exit", "cutmem 23M 4G"), memory: "4200M");

        string memmap = qemu.Run("memmap");
        Assert.Contains("[mem 0x0000000000100000-0x00000000016fffff] usable", memmap);
        Assert.Matches(@"\[mem 0x0000000100000000-0x0000000146[0-9a-f]{6}\] usable", memmap);
        Assert.DoesNotMatch(@"\[mem 0x00000000(0[2-9a-f]|[1-9a-f][0-9a-f])[0-9a-f]{6}-0x[0-9a-f]{16}\] usable", memmap);
        string selftest = qemu.Run("selftest", 120);
        Assert.DoesNotContain("[FAIL]", selftest);
        Assert.Matches(@"selftest: \d+ passed, 0 failed", selftest);
    }

    [Theory]
    [InlineData("16M")]
    [InlineData("19M")] // the largest refused: 1 MiB below the documented minimum
    public void Below_the_minimum_RAM_the_kernel_says_so_and_exits_instead_of_crashing(string memory)
    {
        using QemuSession qemu = QemuSession.Start(KernelImage.Iso(MenuEntry.Selftest, "panic=exit"), memory);
        int status = qemu.WaitForExit(seconds: 60);
        string output = qemu.Output;

        Assert.Contains("memory: not enough RAM to run.", output);
        Assert.Matches(@"this kernel needs at least 16 MiB usable, \d+ KiB more", output);
        Assert.Contains("Give the machine at least 20 MiB of RAM (QEMU: -m 20M or more).", output);
        Assert.DoesNotContain("KERNEL PANIC", output);
        Assert.DoesNotContain("[PASS]", output);
        Assert.True(status == QemuSession.Failure, $"QEMU exit status {status}, expected {QemuSession.Failure}. Output:\n{output}");
    }
}
