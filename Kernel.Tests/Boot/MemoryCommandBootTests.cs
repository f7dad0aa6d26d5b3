using System;
using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

[Collection(BootCollection.Name)]
public sealed class MemoryCommandBootTests
{
    private static (ulong Total, ulong Free) Zone(string meminfo, string name)
    {
        Match m = Regex.Match(meminfo, "^" + name + @"\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s+\d+%", RegexOptions.Multiline);
        Assert.True(m.Success, $"no {name} line in meminfo:\n{meminfo}");
        return (ulong.Parse(m.Groups[1].Value), ulong.Parse(m.Groups[2].Value));
    }

    [Fact]
    public void Meminfo_at_5_GiB_shows_three_zones_with_plausible_figures()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G");
        string meminfo = qemu.Run("meminfo");

        var dma = Zone(meminfo, "DMA");
        var dma32 = Zone(meminfo, "DMA32");
        var normal = Zone(meminfo, "Normal");
        var all = Zone(meminfo, "all");
        // DMA is below 16 MiB less the first MiB and the kernel image: between 8 and 15 MiB of frames.
        Assert.InRange(dma.Total, 8UL * 256, 15UL * 256);
        // QEMU puts 3 GiB below the PCI hole and the other 2 GiB above 4 GiB.
        Assert.InRange(dma32.Total, 2800UL * 256, 3072UL * 256);
        Assert.InRange(normal.Total, 2000UL * 256, 2048UL * 256);
        Assert.Equal(dma.Total + dma32.Total + normal.Total, all.Total);
        Assert.True(all.Free <= all.Total && all.Free > all.Total * 9 / 10, "most frames should be free after boot:\n" + meminfo);
        Assert.Matches(@"block area: \d+ pages", meminfo);
        Assert.Matches(@"page area: +\d+ pages in use, \d+ holes", meminfo);
        Assert.Matches(@"metadata \d+ KiB \(\d\.\d\d% of the heap range\)", meminfo);
        Assert.Matches(@"calls: +\d+ kmalloc, \d+ kfree", meminfo);

        // With more free RAM than a child's heap can reserve, tst_oom cannot make one run out: it says the
        // check was skipped and exits with 2, neither passing nor failing.
        string oom = qemu.Run("run tst_oom", 60);
        Assert.Contains("tst_oom: skip a_child_that_runs_out_of_frames_is_killed: more free RAM than", oom);
        Assert.Contains("tst_oom: 1 checks, 0 failed, 1 skipped\n", oom);
        Assert.Matches(@"process \d+ \(tst_oom\) exited with status 2\n", oom);
    }

    [Fact]
    public void Vm_frames_and_kheap_describe_the_kernel_address_space()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        string unmapped = qemu.Run("vm 0");
        Assert.Contains("not mapped: the walk stops at the PML4E", unmapped);

        // 16 MiB: well past the 2 MiB pages around the kernel image, which the direct map splits into 4 KiB pages
        // (the image, .bss included, now ends past 2 MiB).
        string direct = qemu.Run("vm 0xffff800001000000");
        Assert.Matches(@"PDE +0x[0-9a-f]{16} P W S .*PS G NX", direct);
        Assert.Contains("-> physical 0x0000000001000000 (2 MiB page)", direct);

        Match image = Regex.Match(qemu.Run("meminfo"), @"kernel image\n  text +0x([0-9a-f]{16})-0x[0-9a-f]{16} r-x\n  rodata +0x([0-9a-f]{16})-0x[0-9a-f]{16} r--\n  data +0x([0-9a-f]{16})");
        Assert.True(image.Success, "meminfo does not show the kernel image layout");
        string text = qemu.Run("vm 0x" + image.Groups[1].Value);
        Assert.Matches(@"PTE +0x[0-9a-f]{16} P R S( A)? G X", text);
        Assert.Contains("(4 KiB page)", text);
        string rodata = qemu.Run("vm 0x" + image.Groups[2].Value);
        Assert.Matches(@"PTE +0x[0-9a-f]{16} P R S( A)?( D)? G NX", rodata);
        string data = qemu.Run("vm 0x" + image.Groups[3].Value);
        Assert.Matches(@"PTE +0x[0-9a-f]{16} P W S( A)?( D)? G NX", data);

        Assert.Contains("usage: vm [PID] ADDR", qemu.Run("vm"));
        Assert.Contains("not a canonical address", qemu.Run("vm 0x0000800000000000"));

        string frames = qemu.Run("frames dma32");
        Assert.Matches(new Regex(@"^DMA32( +\d+){11}$", RegexOptions.Multiline), frames);
        Assert.Matches(new Regex(@"^DMA32 +\d+ +\d+ +\d+$", RegexOptions.Multiline), frames);
        Assert.DoesNotContain("Normal", frames);
        Assert.Contains("usage: frames", qemu.Run("frames bogus"));

        string kheap = qemu.Run("kheap");
        Assert.Matches(new Regex(@"^ +2048 +2 ", RegexOptions.Multiline), kheap);
        Assert.Contains("holes:", kheap);
        Assert.Contains("allocations:", kheap);
    }

    [Fact]
    public void Membench_reports_kmalloc_costs_against_a_memset_in_the_same_run()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        string bench = qemu.Run("membench");

        Assert.Matches(@"memset 4 KiB \(peer\) +\d+ +1\.00x", bench);
        Assert.Matches(@"kmalloc\+kfree 64 B +\d+ +\d+\.\d\dx", bench);
        Assert.Matches(@"kmalloc\+kfree 4 pages \(16 KiB\) +\d+ +\d+\.\d\dx", bench);
    }
}
