using Kernel.Mem;
using Kernel.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Physical;

public sealed class ZoneTests
{
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;

    [Theory]
    [InlineData(0UL, ZoneId.Dma)]
    [InlineData(16 * MiB - 1, ZoneId.Dma)]
    [InlineData(16 * MiB, ZoneId.Dma32)]
    [InlineData(4 * GiB - 1, ZoneId.Dma32)]
    [InlineData(4 * GiB, ZoneId.Normal)]
    [InlineData(1024 * GiB, ZoneId.Normal)]
    public void Zone_of_an_address_follows_the_16MiB_and_4GiB_limits(ulong physical, ZoneId expected)
    {
        Assert.Equal(expected, Zone.Of(physical));
    }

    [Fact]
    public void Zones_tile_the_physical_address_space_in_order()
    {
        Assert.Equal(0UL, Zone.StartOf(ZoneId.Dma));
        Assert.Equal(Zone.EndOf(ZoneId.Dma), Zone.StartOf(ZoneId.Dma32));
        Assert.Equal(Zone.EndOf(ZoneId.Dma32), Zone.StartOf(ZoneId.Normal));
        Assert.Equal(MemoryMap.PhysicalAddressLimit, Zone.EndOf(ZoneId.Normal));
        Assert.Equal("DMA", Zone.NameOf(ZoneId.Dma));
        Assert.Equal("DMA32", Zone.NameOf(ZoneId.Dma32));
        Assert.Equal("Normal", Zone.NameOf(ZoneId.Normal));
    }

    [Fact]
    public void Zone_limits_are_multiples_of_the_largest_buddy_block_so_no_block_straddles_two_zones()
    {
        ulong largestBlock = FrameAllocator<Emulation.EmulatedRam.Accessor>.MaxBlockFrames * MemConstants.PageSize;

        Assert.True(MemConstants.IsAligned(Zone.DmaEnd, largestBlock));
        Assert.True(MemConstants.IsAligned(Zone.Dma32End, largestBlock));
    }

    [Fact]
    public void Allocator_counts_each_zone_from_the_memory_map()
    {
        using PhysicalMachine machine = PhysicalMachine.ThreeZones();
        FrameAllocator<Emulation.EmulatedRam.Accessor> frames = machine.Frames;

        // DMA: 2 MiB + one page (the widened kernel image) up to 16 MiB.
        ulong dmaFrames = (16 * MiB - (2 * MiB + MemConstants.PageSize)) / MemConstants.PageSize;
        ulong dma32Frames = (48 * MiB - frames.MetadataBytes) / MemConstants.PageSize;
        ulong normalFrames = 8 * MiB / MemConstants.PageSize;

        Zone dma = frames.GetZone(ZoneId.Dma);
        Zone dma32 = frames.GetZone(ZoneId.Dma32);
        Zone normal = frames.GetZone(ZoneId.Normal);
        Assert.Equal((dmaFrames, dmaFrames), (dma.TotalFrames, dma.FreeFrames));
        Assert.Equal((dma32Frames, dma32Frames), (dma32.TotalFrames, dma32.FreeFrames));
        Assert.Equal((normalFrames, normalFrames), (normal.TotalFrames, normal.FreeFrames));
        Assert.Equal(dmaFrames + dma32Frames + normalFrames, frames.TotalFrames);
        Assert.Equal(1024UL, normal.LargestFreeBlockFrames);
        Assert.Equal(ZoneId.Normal, normal.Id);
        Assert.Equal("Normal", normal.Name);
        Assert.Equal(4 * GiB, normal.Start);
    }

    [Fact]
    public void Free_block_counts_per_order_add_up_to_the_free_frames_of_each_zone()
    {
        using PhysicalMachine machine = PhysicalMachine.ThreeZones();
        FrameAllocator<Emulation.EmulatedRam.Accessor> frames = machine.Frames;

        for (int zone = 0; zone < Zone.Count; zone++)
        {
            ulong free = 0;
            for (int order = 0; order <= FrameAllocator<Emulation.EmulatedRam.Accessor>.MaxOrder; order++)
            {
                free += frames.FreeBlockCount((ZoneId)zone, order) << order;
            }
            Assert.Equal(frames.GetZone((ZoneId)zone).FreeFrames, free);
        }
    }
}
