using System;
using System.Collections.Generic;
using System.Text;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Paging;

/// <summary>
/// An emulated machine for the mapper: RAM whose frames a <see cref="CountingFrameSource"/> hands out, a
/// fresh root table, a recording TLB. The frames mapped by tests (see <see cref="Frame"/>) lie outside the
/// RAM on purpose: the mapper must never touch the memory it maps, only its tables.
/// </summary>
internal sealed unsafe class PagingFixture : IDisposable
{
    public const ulong RamStart = 0x0010_0000;
    public const ulong DefaultFrames = 256;

    /// <summary>Lower-half (user) addresses used throughout: 4 MiB, inside PML4E 0.</summary>
    public const ulong UserBase = 0x0000_0000_0040_0000;

    /// <summary>An upper-half (kernel) address: the start of the direct map region, PML4E 256.</summary>
    public const ulong KernelBase = 0xFFFF_8000_0000_0000;

    /// <summary>Physical frames for mappings, far above the emulated RAM.</summary>
    public const ulong FrameBase = 0x0000_0001_0000_0000;

    /// <param name="supportedFeatures">The CPU's feature-dependent leaf flags (see <see cref="PageTableEntry.FeatureFlagsMask"/>); all by default.</param>
    public PagingFixture(ulong frames = DefaultFrames, PageFlags supportedFeatures = (PageFlags)PageTableEntry.FeatureFlagsMask)
    {
        Ram = new EmulatedRam(RamStart, frames * MemConstants.PageSize);
        Frames = new CountingFrameSource(Ram, RamStart, frames);
        Assert.Equal(PagingStatus.Success, Mapper<EmulatedRam.Accessor, RecordingTlb>.CreateRootTable(Ram.Memory, Frames, out ulong root));
        Root = root;
        Tlb = new RecordingTlb.Log();
        Mapper = new Mapper<EmulatedRam.Accessor, RecordingTlb>(Ram.Memory, new RecordingTlb(Tlb), Frames, Root, supportedFeatures);
    }

    public EmulatedRam Ram { get; }
    public CountingFrameSource Frames { get; }
    public RecordingTlb.Log Tlb { get; }
    public Mapper<EmulatedRam.Accessor, RecordingTlb> Mapper { get; }
    public ulong Root { get; }

    /// <summary>Page tables below the root currently held by the mapper.</summary>
    public int TableFrames => Frames.Outstanding - 1;

    public static ulong Frame(int index) => FrameBase + (ulong)index * MemConstants.PageSize;
    public static ulong LargeFrame(int index) => FrameBase + (ulong)index * MemConstants.LargePageSize;

    /// <summary>A second mapper over the same machine, for another address space.</summary>
    public Mapper<EmulatedRam.Accessor, RecordingTlb> MapperFor(ulong root)
    {
        return new Mapper<EmulatedRam.Accessor, RecordingTlb>(Ram.Memory, new RecordingTlb(Tlb), Frames, root);
    }

    public ulong[] ReadTable(ulong physical)
    {
        ulong* table = (ulong*)Ram.Memory.Access(physical);
        ulong[] entries = new ulong[VirtualAddressLayout.EntriesPerTable];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = table[i];
        }
        return entries;
    }

    public ulong ReadEntry(ulong table, int index) => ReadTable(table)[index];

    /// <summary>Every non-zero entry of every table reachable from the root, one per line: equal snapshots, equal page tables.</summary>
    public string Snapshot()
    {
        StringBuilder text = new StringBuilder();
        Dump(Root, PageTableLevel.Pml4, text);
        return text.ToString();
    }

    /// <summary>Physical addresses of every table reachable from the root, root included.</summary>
    public List<ulong> ReachableTables()
    {
        List<ulong> tables = new List<ulong>();
        Collect(Root, PageTableLevel.Pml4, tables);
        return tables;
    }

    public void Dispose() => Ram.Dispose();

    private void Dump(ulong table, PageTableLevel level, StringBuilder text)
    {
        ulong[] entries = ReadTable(table);
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i] == 0)
            {
                continue;
            }
            text.Append($"L{(int)level} 0x{table:x16}[{i}] = 0x{entries[i]:x16}\n");
            if (IsTableReference(entries[i], level))
            {
                Dump(entries[i] & PageTableEntry.AddressMask, level - 1, text);
            }
        }
    }

    private void Collect(ulong table, PageTableLevel level, List<ulong> tables)
    {
        tables.Add(table);
        foreach (ulong entry in ReadTable(table))
        {
            if (IsTableReference(entry, level))
            {
                Collect(entry & PageTableEntry.AddressMask, level - 1, tables);
            }
        }
    }

    private static bool IsTableReference(ulong entry, PageTableLevel level)
    {
        PageTableEntry e = new PageTableEntry(entry);
        return e.IsPresent && level != PageTableLevel.PageTable && (level == PageTableLevel.Pml4 || !e.IsHuge);
    }
}
