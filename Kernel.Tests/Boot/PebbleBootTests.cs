using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

[Collection(BootCollection.Name)]
public sealed class PebbleBootTests
{
    [Fact]
    public void Dma_commands_allocate_within_their_limits_dump_and_free_without_leaking()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), "5G");
        ulong before = Meminfo.FreeFrames(qemu.Run("meminfo"));

        Match low = Regex.Match(qemu.Run("dma alloc 4096 low16m,physical 4096 65536"), @"virtual 0x([0-9a-f]{16}) physical 0x([0-9a-f]{16})");
        Assert.True(low.Success);
        ulong lowPhysical = System.Convert.ToUInt64(low.Groups[2].Value, 16);
        Assert.True(lowPhysical + 4096 <= 16UL << 20, "low16m buffer above 16 MiB");
        Assert.Equal(0UL, lowPhysical % 4096);
        Assert.Equal(lowPhysical / 65536, (lowPhysical + 4095) / 65536);

        Match hw32 = Regex.Match(qemu.Run("dma alloc 300000 hw32"), @"virtual 0x([0-9a-f]{16}) physical 0x([0-9a-f]{16})");
        Assert.True(hw32.Success);
        Assert.True(System.Convert.ToUInt64(hw32.Groups[2].Value, 16) + 300000 <= 4UL << 30, "hw32 buffer above 4 GiB");

        Match anywhere = Regex.Match(qemu.Run("dma alloc 8192 hw64"), @"physical 0x([0-9a-f]{16})");
        Assert.True(anywhere.Success);
        // Unconstrained memory comes from the Normal zone first: above 4 GiB on this machine.
        Assert.True(System.Convert.ToUInt64(anywhere.Groups[1].Value, 16) >= 4UL << 30, "an unconstrained buffer should land above 4 GiB");

        string dump = qemu.Run("dma");
        Assert.Matches(@"buckets 3 ", dump);
        Assert.Matches(@"bucket physical,low16m, \d+ pages, largest free \d+ B\n  virt 0x[0-9a-f]{16}-0x[0-9a-f]{16}\n  phys 0x0000000000[0-9a-f]{6}", dump);
        Assert.Matches(@"used 0x" + low.Groups[1].Value + " phys 0x" + low.Groups[2].Value + @" size +4096 #1 'shell'", dump);

        // A second pebble keeps the low16m bucket alive, so the repeated free meets a merged-away header.
        Match neighbour = Regex.Match(qemu.Run("dma alloc 512 low16m,physical"), @"virtual 0x([0-9a-f]{16})");
        Assert.True(neighbour.Success);
        Assert.Contains("ok", qemu.Run("dma free 0x" + low.Groups[1].Value));
        Assert.Contains("double free", qemu.Run("dma free 0x" + low.Groups[1].Value));
        Assert.Contains("ok", qemu.Run("dma free 0x" + neighbour.Groups[1].Value));
        // Its bucket is gone now: the same address is no longer the allocator's at all.
        Assert.Contains("not a pebble", qemu.Run("dma free 0x" + neighbour.Groups[1].Value));
        Assert.Contains("not a pebble", qemu.Run("dma free 0x1000"));
        Assert.Contains("ok", qemu.Run("dma free 0x" + hw32.Groups[1].Value));
        Assert.Contains("usage: dma", qemu.Run("dma alloc 10 nonsense"));

        string remaining = qemu.Run("dma");
        Assert.Matches(@"buckets 1 ", remaining);
        Assert.Contains("ok", qemu.Run("dma free 0x" + Regex.Match(remaining, @"used 0x([0-9a-f]{16})").Groups[1].Value));
        ulong after = Meminfo.FreeFrames(qemu.Run("meminfo"));
        Assert.Equal(before, after);
    }
}
