using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Physical;

public sealed class MemoryMapTests
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;
    private const uint Available = 1;
    private const uint Reserved = 2;
    private const uint AcpiReclaimable = 3;
    private const uint AcpiNvs = 4;
    private const uint BadRam = 5;

    private static List<MemoryRegion> Regions(MemoryMap map)
    {
        var regions = new List<MemoryRegion>();
        for (int i = 0; i < map.Count; i++)
        {
            regions.Add(map[i]);
        }
        return regions;
    }

    private static void AssertRegions(MemoryMap map, params (ulong Base, ulong End, MemoryRegionKind Kind)[] expected)
    {
        List<MemoryRegion> regions = Regions(map);
        Assert.Equal(expected.Length, regions.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal((expected[i].Base, expected[i].End, expected[i].Kind), (regions[i].Base, regions[i].End, regions[i].Kind));
        }
    }

    [Fact]
    public void Empty_map_has_no_regions_and_no_bytes()
    {
        var map = new MemoryMap();

        Assert.Equal(0, map.Count);
        Assert.Equal(0UL, map.UsableBytes);
        Assert.Equal(0UL, map.ReservedBytes);
        Assert.Equal(default, map[0]);
    }

    [Fact]
    public void Single_available_entry_becomes_one_usable_region()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(1 * MiB, 15 * MiB, Available);

        AssertRegions(map, (1 * MiB, 16 * MiB, MemoryRegionKind.Usable));
        Assert.Equal(15 * MiB, map.UsableBytes);
    }

    [Fact]
    public void Overlapping_reserved_entry_wins_over_usable()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(0, 16 * MiB, Available);
        map.AddFirmwareEntry(8 * MiB, 1 * MiB, Reserved);

        AssertRegions(map,
            (0, 8 * MiB, MemoryRegionKind.Usable),
            (8 * MiB, 9 * MiB, MemoryRegionKind.Reserved),
            (9 * MiB, 16 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Reserved_wins_whichever_entry_comes_first()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(8 * MiB, 1 * MiB, Reserved);
        map.AddFirmwareEntry(0, 16 * MiB, Available);

        AssertRegions(map,
            (0, 8 * MiB, MemoryRegionKind.Usable),
            (8 * MiB, 9 * MiB, MemoryRegionKind.Reserved),
            (9 * MiB, 16 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Partial_overlap_gives_the_shared_part_to_the_more_restrictive_type()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(0, 12 * MiB, Available);
        map.AddFirmwareEntry(10 * MiB, 6 * MiB, AcpiNvs);

        AssertRegions(map,
            (0, 10 * MiB, MemoryRegionKind.Usable),
            (10 * MiB, 16 * MiB, MemoryRegionKind.AcpiNvs));
    }

    [Theory]
    [InlineData(AcpiReclaimable, Available, MemoryRegionKind.AcpiReclaimable)]
    [InlineData(AcpiNvs, AcpiReclaimable, MemoryRegionKind.AcpiNvs)]
    [InlineData(Reserved, AcpiNvs, MemoryRegionKind.Reserved)]
    [InlineData(Reserved, AcpiReclaimable, MemoryRegionKind.Reserved)]
    [InlineData(BadRam, Reserved, MemoryRegionKind.BadRam)]
    [InlineData(BadRam, Available, MemoryRegionKind.BadRam)]
    public void More_restrictive_type_wins_an_exact_overlap(uint stronger, uint weaker, MemoryRegionKind expected)
    {
        var first = new MemoryMap();
        first.AddFirmwareEntry(1 * MiB, 1 * MiB, stronger);
        first.AddFirmwareEntry(1 * MiB, 1 * MiB, weaker);
        var second = new MemoryMap();
        second.AddFirmwareEntry(1 * MiB, 1 * MiB, weaker);
        second.AddFirmwareEntry(1 * MiB, 1 * MiB, stronger);

        AssertRegions(first, (1 * MiB, 2 * MiB, expected));
        AssertRegions(second, (1 * MiB, 2 * MiB, expected));
    }

    [Fact]
    public void Unsorted_entries_come_out_sorted()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(4 * GiB, 1 * GiB, Available);
        map.AddFirmwareEntry(1 * MiB, 1 * MiB, Available);
        map.AddFirmwareEntry(3 * GiB, 1 * GiB, Reserved);
        map.AddFirmwareEntry(0, 0x9F000, Available);

        AssertRegions(map,
            (0, 0x9F000, MemoryRegionKind.Usable),
            (1 * MiB, 2 * MiB, MemoryRegionKind.Usable),
            (3 * GiB, 4 * GiB, MemoryRegionKind.Reserved),
            (4 * GiB, 5 * GiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Adjacent_entries_of_the_same_type_merge()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(2 * MiB, 1 * MiB, Available);
        map.AddFirmwareEntry(1 * MiB, 1 * MiB, Available);
        map.AddFirmwareEntry(3 * MiB, 1 * MiB, Available);

        AssertRegions(map, (1 * MiB, 4 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Adjacent_entries_of_different_types_stay_apart()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(1 * MiB, 1 * MiB, Available);
        map.AddFirmwareEntry(2 * MiB, 1 * MiB, AcpiReclaimable);

        AssertRegions(map,
            (1 * MiB, 2 * MiB, MemoryRegionKind.Usable),
            (2 * MiB, 3 * MiB, MemoryRegionKind.AcpiReclaimable));
    }

    [Fact]
    public void Entries_separated_by_a_hole_stay_apart_and_the_hole_is_undescribed()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(1 * MiB, 1 * MiB, Available);
        map.AddFirmwareEntry(3 * MiB, 1 * MiB, Available);

        AssertRegions(map,
            (1 * MiB, 2 * MiB, MemoryRegionKind.Usable),
            (3 * MiB, 4 * MiB, MemoryRegionKind.Usable));
        Assert.False(map.TryGetKind(2 * MiB, out _));
    }

    [Fact]
    public void Zero_length_entries_are_dropped()
    {
        var map = new MemoryMap();

        Assert.Equal(MemoryMapStatus.Ok, map.AddFirmwareEntry(1 * MiB, 0, Reserved));
        Assert.Equal(MemoryMapStatus.Ok, map.Reserve(1 * MiB, 0, MemoryRegionKind.KernelImage));
        map.AddFirmwareEntry(1 * MiB, 1 * MiB, Available);

        AssertRegions(map, (1 * MiB, 2 * MiB, MemoryRegionKind.Usable));
        Assert.Equal(1, map.FirmwareEntryCount);
        Assert.Equal(0, map.CarveOutCount);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(6u)]
    [InlineData(0xFFFF_FFFFu)]
    public void Unknown_types_count_as_reserved(uint type)
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(0, 2 * MiB, Available);
        map.AddFirmwareEntry(1 * MiB, 1 * MiB, type);

        AssertRegions(map,
            (0, 1 * MiB, MemoryRegionKind.Usable),
            (1 * MiB, 2 * MiB, MemoryRegionKind.Reserved));
    }

    [Fact]
    public void Usable_ranges_are_trimmed_inward_to_page_boundaries()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(0x1800, 0x4000, Available);

        AssertRegions(map,
            (0x1800, 0x2000, MemoryRegionKind.Reserved),
            (0x2000, 0x5000, MemoryRegionKind.Usable),
            (0x5000, 0x5800, MemoryRegionKind.Reserved));
        Assert.Equal(0x3000UL, map.UsableBytes);
        Assert.Equal(0x1000UL, map.ReservedBytes);
    }

    [Fact]
    public void Usable_range_within_one_page_is_not_usable()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(0x1100, 0xE00, Available);

        AssertRegions(map, (0x1100, 0x1F00, MemoryRegionKind.Reserved));
        Assert.Equal(0UL, map.UsableBytes);
    }

    [Fact]
    public void Unaligned_pieces_that_join_into_whole_pages_stay_usable()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(0x1000, 0x1800, Available);
        map.AddFirmwareEntry(0x2800, 0x1800, Available);

        AssertRegions(map, (0x1000, 0x4000, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Partial_page_beside_a_reserved_entry_joins_the_reserved_region()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(0, 0x9FC00, Available);
        map.AddFirmwareEntry(0x9FC00, 0x400, Reserved);

        AssertRegions(map,
            (0, 0x9F000, MemoryRegionKind.Usable),
            (0x9F000, 0xA0000, MemoryRegionKind.Reserved));
    }

    [Fact]
    public void Carve_out_makes_usable_memory_unusable_and_keeps_its_label()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(1 * MiB, 15 * MiB, Available);

        Assert.Equal(MemoryMapStatus.Ok, map.Reserve(4 * MiB, 2 * MiB, MemoryRegionKind.BootModule));

        AssertRegions(map,
            (1 * MiB, 4 * MiB, MemoryRegionKind.Usable),
            (4 * MiB, 6 * MiB, MemoryRegionKind.BootModule),
            (6 * MiB, 16 * MiB, MemoryRegionKind.Usable));
        Assert.Equal(13 * MiB, map.UsableBytes);
        Assert.Equal(2 * MiB, map.BytesOf(MemoryRegionKind.BootModule));
        Assert.Equal("boot module", map[1].KindName);
    }

    [Fact]
    public void Carve_out_is_widened_to_whole_pages()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(1 * MiB, 15 * MiB, Available);

        map.Reserve(1 * MiB + 0x10, 0x1234, MemoryRegionKind.KernelImage);

        AssertRegions(map,
            (1 * MiB, 1 * MiB + 0x2000, MemoryRegionKind.KernelImage),
            (1 * MiB + 0x2000, 16 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Carve_out_does_not_relabel_firmware_reserved_memory()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 2 * MiB, Available);
        map.AddFirmwareEntry(1 * MiB, 4 * KiB, AcpiNvs);

        map.Reserve(1 * MiB - 4 * KiB, 12 * KiB, MemoryRegionKind.BootInformation);

        AssertRegions(map,
            (0, 1 * MiB - 4 * KiB, MemoryRegionKind.Usable),
            (1 * MiB - 4 * KiB, 1 * MiB, MemoryRegionKind.BootInformation),
            (1 * MiB, 1 * MiB + 4 * KiB, MemoryRegionKind.AcpiNvs),
            (1 * MiB + 4 * KiB, 1 * MiB + 8 * KiB, MemoryRegionKind.BootInformation),
            (1 * MiB + 8 * KiB, 2 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Carve_out_over_a_hole_describes_nothing_new()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(1 * MiB, 1 * MiB, Available);

        map.Reserve(0, 4 * MiB, MemoryRegionKind.BootModule);

        AssertRegions(map, (1 * MiB, 2 * MiB, MemoryRegionKind.BootModule));
    }

    [Fact]
    public void First_carve_out_keeps_its_label_where_carve_outs_overlap()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 4 * MiB, Available);

        map.Reserve(1 * MiB, 2 * MiB, MemoryRegionKind.KernelImage);
        map.Reserve(0, 2 * MiB, MemoryRegionKind.LowMemory);

        AssertRegions(map,
            (0, 1 * MiB, MemoryRegionKind.LowMemory),
            (1 * MiB, 3 * MiB, MemoryRegionKind.KernelImage),
            (3 * MiB, 4 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Carve_outs_made_before_the_firmware_entries_still_apply()
    {
        var map = new MemoryMap();

        map.Reserve(1 * MiB, 1 * MiB, MemoryRegionKind.KernelImage);
        map.AddFirmwareEntry(0, 4 * MiB, Available);

        AssertRegions(map,
            (0, 1 * MiB, MemoryRegionKind.Usable),
            (1 * MiB, 2 * MiB, MemoryRegionKind.KernelImage),
            (2 * MiB, 4 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void First_MiB_carve_out_takes_low_usable_memory_and_leaves_firmware_ranges_alone()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 0x9FC00, Available);
        map.AddFirmwareEntry(0x9FC00, 0x400, Reserved);
        map.AddFirmwareEntry(0xF0000, 0x10000, Reserved);
        map.AddFirmwareEntry(1 * MiB, 31 * MiB, Available);

        Assert.Equal(MemoryMapStatus.Ok, map.ReserveFirstMiB());

        AssertRegions(map,
            (0, 0x9FC00, MemoryRegionKind.LowMemory),
            (0x9FC00, 0xA0000, MemoryRegionKind.Reserved),
            (0xF0000, 1 * MiB, MemoryRegionKind.Reserved),
            (1 * MiB, 32 * MiB, MemoryRegionKind.Usable));
        Assert.Equal(31 * MiB, map.UsableBytes);
        Assert.Equal(1 * MiB - (0xF0000 - 0xA0000), map.ReservedBytes);
    }

    [Fact]
    public void Usable_and_reserved_bytes_add_up_to_everything_described()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 0x9FC00, Available);
        map.AddFirmwareEntry(0x9FC00, 0x400, Reserved);
        map.AddFirmwareEntry(0xE0000, 0x20000, Reserved);
        map.AddFirmwareEntry(1 * MiB, 3 * GiB - 1 * MiB, Available);
        map.AddFirmwareEntry(3 * GiB - 64 * KiB, 64 * KiB, AcpiReclaimable);
        map.AddFirmwareEntry(4 * GiB, 1 * GiB, Available);
        map.Reserve(1 * MiB, 3 * MiB, MemoryRegionKind.KernelImage);

        ulong described = 0;
        foreach (MemoryRegion region in Regions(map))
        {
            described += region.Length;
        }

        Assert.Equal(described, map.UsableBytes + map.ReservedBytes);
        Assert.Equal(0x9F000 + 3 * GiB - 4 * MiB - 64 * KiB + 1 * GiB, map.UsableBytes);
    }

    [Fact]
    public void Carve_out_with_a_firmware_kind_is_refused()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 4 * MiB, Available);

        Assert.Equal(MemoryMapStatus.InvalidKind, map.Reserve(1 * MiB, 1 * MiB, MemoryRegionKind.Reserved));
        Assert.Equal(MemoryMapStatus.InvalidKind, map.Reserve(1 * MiB, 1 * MiB, MemoryRegionKind.Usable));

        AssertRegions(map, (0, 4 * MiB, MemoryRegionKind.Usable));
    }

    [Fact]
    public void Entry_that_would_overflow_the_capacity_is_refused_and_the_map_is_unchanged()
    {
        var map = new MemoryMap(3);
        map.AddFirmwareEntry(0, 16 * MiB, Available);
        map.AddFirmwareEntry(4 * MiB, 1 * MiB, Reserved);
        List<MemoryRegion> before = Regions(map);

        // Splitting the last usable region would need a fourth region.
        Assert.Equal(MemoryMapStatus.Full, map.AddFirmwareEntry(10 * MiB, 1 * MiB, Reserved));
        Assert.Equal(MemoryMapStatus.Full, map.Reserve(12 * MiB, 1 * MiB, MemoryRegionKind.BootModule));

        Assert.Equal(before, Regions(map));
        Assert.Equal(2, map.FirmwareEntryCount);
        Assert.Equal(0, map.CarveOutCount);
        Assert.Equal(15 * MiB, map.UsableBytes);
    }

    [Fact]
    public void Entry_reaching_past_the_physical_address_limit_is_clipped()
    {
        var map = new MemoryMap();

        map.AddFirmwareEntry(4 * GiB, ulong.MaxValue - 4 * GiB, Reserved);
        map.AddFirmwareEntry(MemoryMap.PhysicalAddressLimit, 1 * GiB, Available);

        AssertRegions(map, (4 * GiB, MemoryMap.PhysicalAddressLimit, MemoryRegionKind.Reserved));
    }

    [Fact]
    public void Kind_lookup_finds_the_region_holding_an_address()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 2 * MiB, Available);
        map.AddFirmwareEntry(2 * MiB, 1 * MiB, AcpiReclaimable);

        Assert.True(map.TryGetKind(2 * MiB - 1, out MemoryRegionKind low));
        Assert.True(map.TryGetKind(2 * MiB, out MemoryRegionKind high));
        Assert.False(map.TryGetKind(3 * MiB, out _));
        Assert.Equal(MemoryRegionKind.Usable, low);
        Assert.Equal(MemoryRegionKind.AcpiReclaimable, high);
    }

    [Fact]
    public void Out_of_range_index_gives_an_empty_region()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 2 * MiB, Available);

        Assert.Equal(0UL, map[1].Length);
        Assert.Equal(0UL, map[-1].Length);
    }
}
