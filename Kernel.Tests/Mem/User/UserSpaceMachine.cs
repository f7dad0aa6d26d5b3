using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// An emulated machine with a kernel half already populated and one process address space on it, for the
/// user-heap tests: the frames a test sees outstanding beyond <see cref="Baseline"/> are exactly the
/// space's page tables plus the frames it maps.
/// </summary>
internal sealed unsafe class UserSpaceMachine : IDisposable
{
    public const int DefaultFrames = 512;

    private readonly PagingFixture _machine;

    public UserSpaceMachine(int frames = DefaultFrames)
    {
        _machine = new PagingFixture(frames: (ulong)frames);
        Assert.Equal(PagingStatus.Success, _machine.Mapper.PopulateUpperHalf());
        Baseline = _machine.Frames.Outstanding;
        PagingStatus status = UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(
            _machine.Ram.Memory, new RecordingTlb(_machine.Tlb), _machine.Frames, _machine.Root,
            PageFlags.NoExecute | PageFlags.Global | PageFlags.Pat, out var space);
        Assert.Equal(PagingStatus.Success, status);
        Space = space;
    }

    public UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> Space { get; }

    public Mapper<EmulatedRam.Accessor, RecordingTlb> Mapper => Space.Mapper;

    public CountingFrameSource Frames => _machine.Frames;

    public EmulatedRam Ram => _machine.Ram;

    public RecordingTlb.Log Tlb => _machine.Tlb;

    /// <summary>Frames outstanding before the address space existed (the kernel half's tables).</summary>
    public int Baseline { get; }

    /// <summary>Frames the address space holds: its tables and its mapped pages.</summary>
    public int Held => Frames.Outstanding - Baseline;

    /// <summary>The raw PTE of a 4 KiB page, 0 when a table on the way is missing.</summary>
    public ulong Pte(ulong page)
    {
        Assert.Equal(PagingStatus.Success, Mapper.Walk(page, out PageWalk walk));
        return walk.StoppedAt == PageTableLevel.PageTable ? walk.PtEntry.Value : 0;
    }

    /// <summary>The frame mapping <paramref name="page"/> (the page must be mapped).</summary>
    public ulong FrameOf(ulong page)
    {
        Assert.Equal(PagingStatus.Success, Mapper.Translate(page, out Translation translation));
        return translation.PhysicalAddress;
    }

    public byte* Bytes(ulong frame) => Ram.Memory.Access(frame);

    /// <summary>Every non-zero entry of every table of the lower half, one per line: equal snapshots, equal tables.</summary>
    public string Snapshot()
    {
        var text = new System.Text.StringBuilder();
        Dump(Space.RootTable, PageTableLevel.Pml4, text);
        return text.ToString();
    }

    public void Dispose() => _machine.Dispose();

    private void Dump(ulong table, PageTableLevel level, System.Text.StringBuilder text)
    {
        ulong* entries = (ulong*)Ram.Memory.Access(table);
        int end = level == PageTableLevel.Pml4 ? VirtualAddressLayout.FirstUpperHalfPml4Index : VirtualAddressLayout.EntriesPerTable;
        for (int i = 0; i < end; i++)
        {
            ulong entry = entries[i];
            if (entry == 0)
            {
                continue;
            }
            text.Append($"L{(int)level} 0x{table:x16}[{i}] = 0x{entry:x16}\n");
            bool references = (entry & PageTableEntry.PresentBit) != 0 && level != PageTableLevel.PageTable
                && (level == PageTableLevel.Pml4 || (entry & PageTableEntry.HugeBit) == 0);
            if (references)
            {
                Dump(entry & PageTableEntry.AddressMask, level - 1, text);
            }
        }
    }
}
