using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Physical;

/// <summary>
/// Sanitizing checked against a model that decides every 512-byte cell of a 64 KiB address space on its
/// own: the most restrictive firmware type covering it, then the first carve-out covering its page if it
/// is usable, then "reserved" if its page is not wholly usable.
/// </summary>
public sealed class MemoryMapPropertyTests
{
    private const ulong CellSize = 512;
    private const int Cells = 128;
    private const int CellsPerPage = (int)(MemConstants.PageSize / CellSize);

    private static readonly MemoryRegionKind[] s_carveOutKinds =
    {
        MemoryRegionKind.LowMemory, MemoryRegionKind.KernelImage, MemoryRegionKind.BootModule,
        MemoryRegionKind.BootInformation, MemoryRegionKind.FrameMetadata,
    };

    /// <summary>One call on the map: a firmware entry (type 0 to 6; 0 and 6 unknown) or a carve-out.</summary>
    public sealed record Entry(bool IsCarveOut, int BaseCell, int LengthCells, int Type)
    {
        public override string ToString()
            => IsCarveOut ? $"carve({BaseCell}+{LengthCells}, {s_carveOutKinds[Type]})" : $"fw({BaseCell}+{LengthCells}, type {Type})";
    }

    private static Gen<Entry> EntryGen =>
        from isCarveOut in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from baseCell in Gen.Choose(0, Cells - 1)
        from length in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 24)), (2, Gen.Choose(25, Cells)))
        from type in isCarveOut ? Gen.Choose(0, s_carveOutKinds.Length - 1) : Gen.Frequency((5, Gen.Constant(1)), (5, Gen.Choose(0, 6)))
        select new Entry(isCarveOut, baseCell, Math.Min(length, Cells - baseCell), type);

    [Fact]
    public void Sanitized_map_matches_the_cell_by_cell_model()
    {
        Arbitrary<Entry[]> entries = Arb.From(Gen.ArrayOf(EntryGen).Select(a => a.Take(24).ToArray()), ShrinkArray);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(entries, CheckAgainstModel));
    }

    [Fact]
    public void Order_of_firmware_entries_does_not_matter()
    {
        Arbitrary<Entry[]> entries = Arb.From(
            Gen.ArrayOf(EntryGen.Where(e => !e.IsCarveOut)).Select(a => a.Take(24).ToArray()), ShrinkArray);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(entries, list =>
        {
            MemoryMap forward = Build(list);
            MemoryMap backward = Build(list.Reverse().ToArray());
            Assert.Equal(Regions(forward), Regions(backward));
        }));
    }

    private static IEnumerable<Entry[]> ShrinkArray(Entry[] entries)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            yield return entries.Where((_, j) => j != i).ToArray();
        }
    }

    private static MemoryMap Build(Entry[] entries)
    {
        var map = new MemoryMap();
        foreach (Entry entry in entries)
        {
            ulong @base = (ulong)entry.BaseCell * CellSize;
            ulong length = (ulong)entry.LengthCells * CellSize;
            MemoryMapStatus status = entry.IsCarveOut
                ? map.Reserve(@base, length, s_carveOutKinds[entry.Type])
                : map.AddFirmwareEntry(@base, length, (uint)entry.Type);
            Assert.Equal(MemoryMapStatus.Ok, status);
        }
        return map;
    }

    private static List<MemoryRegion> Regions(MemoryMap map)
        => Enumerable.Range(0, map.Count).Select(i => map[i]).ToList();

    private static void CheckAgainstModel(Entry[] entries)
    {
        MemoryMap map = Build(entries);
        MemoryRegionKind?[] model = Model(entries);

        List<MemoryRegion> regions = Regions(map);
        for (int i = 0; i < regions.Count; i++)
        {
            MemoryRegion region = regions[i];
            Assert.True(region.Base < region.End, $"empty region {i}");
            if (region.IsUsable)
            {
                Assert.True(MemConstants.IsAligned(region.Base, MemConstants.PageSize) && MemConstants.IsAligned(region.End, MemConstants.PageSize), "usable region not page aligned");
            }
            if (i > 0)
            {
                Assert.True(regions[i - 1].End <= region.Base, "regions overlap or are unsorted");
                Assert.False(regions[i - 1].End == region.Base && regions[i - 1].Kind == region.Kind, "adjacent regions of one kind were not merged");
            }
        }

        ulong usable = 0;
        ulong reserved = 0;
        for (int cell = 0; cell < Cells; cell++)
        {
            bool described = map.TryGetKind((ulong)cell * CellSize, out MemoryRegionKind kind);
            Assert.True(described == model[cell].HasValue, $"cell {cell}: described {described}, model {model[cell]}");
            if (described)
            {
                Assert.True(kind == model[cell].Value, $"cell {cell}: {kind}, model {model[cell]}");
                if (kind == MemoryRegionKind.Usable)
                {
                    usable += CellSize;
                }
                else
                {
                    reserved += CellSize;
                }
            }
        }
        Assert.Equal(usable, map.UsableBytes);
        Assert.Equal(reserved, map.ReservedBytes);
    }

    private static MemoryRegionKind?[] Model(Entry[] entries)
    {
        var cells = new MemoryRegionKind?[Cells];
        foreach (Entry entry in entries.Where(e => !e.IsCarveOut))
        {
            MemoryRegionKind kind = MemoryMap.KindOfMultibootType((uint)entry.Type);
            for (int cell = entry.BaseCell; cell < entry.BaseCell + entry.LengthCells; cell++)
            {
                if (!cells[cell].HasValue || Rank(kind) > Rank(cells[cell].Value))
                {
                    cells[cell] = kind;
                }
            }
        }
        foreach (Entry entry in entries.Where(e => e.IsCarveOut && e.LengthCells > 0))
        {
            int first = entry.BaseCell / CellsPerPage * CellsPerPage;
            int end = Math.Min(Cells, (entry.BaseCell + entry.LengthCells + CellsPerPage - 1) / CellsPerPage * CellsPerPage);
            for (int cell = first; cell < end; cell++)
            {
                if (cells[cell] == MemoryRegionKind.Usable)
                {
                    cells[cell] = s_carveOutKinds[entry.Type];
                }
            }
        }
        for (int page = 0; page < Cells; page += CellsPerPage)
        {
            bool wholePageUsable = Enumerable.Range(page, CellsPerPage).All(c => cells[c] == MemoryRegionKind.Usable);
            for (int cell = page; cell < page + CellsPerPage && !wholePageUsable; cell++)
            {
                if (cells[cell] == MemoryRegionKind.Usable)
                {
                    cells[cell] = MemoryRegionKind.Reserved;
                }
            }
        }
        return cells;
    }

    /// <summary>Usable &lt; ACPI reclaimable &lt; ACPI NVS &lt; reserved (and unknown) &lt; bad RAM.</summary>
    private static int Rank(MemoryRegionKind kind) => kind switch
    {
        MemoryRegionKind.Usable => 0,
        MemoryRegionKind.AcpiReclaimable => 1,
        MemoryRegionKind.AcpiNvs => 2,
        MemoryRegionKind.Reserved => 3,
        _ => 4,
    };
}
