using System;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Physical;

/// <summary>
/// An emulated machine for the frame allocator: RAM, the sanitized memory map its firmware would report,
/// and an allocator created from it. The layouts mimic what GRUB reports on a PC.
/// </summary>
public sealed class PhysicalMachine : IDisposable
{
    public const ulong KiB = MemConstants.KiB;
    public const ulong MiB = MemConstants.MiB;
    public const ulong GiB = MemConstants.GiB;
    public const ulong PageSize = MemConstants.PageSize;

    /// <summary>Where the kernel image sits in every layout: loaded at 1 MiB, a little over 1 MiB long.</summary>
    public const ulong KernelBase = 1 * MiB;
    public const ulong KernelEnd = 2 * MiB + 0x123;

    private PhysicalMachine(EmulatedRam ram, MemoryMap map)
    {
        Ram = ram;
        Map = map;
        FrameAllocatorCreateStatus status = FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, new MemoryLock<HostInterruptLock>(), out FrameAllocator<EmulatedRam.Accessor> frames);
        Assert.Equal(FrameAllocatorCreateStatus.Ok, status);
        Frames = frames;
    }

    public EmulatedRam Ram { get; }

    public MemoryMap Map { get; }

    public FrameAllocator<EmulatedRam.Accessor> Frames { get; }

    /// <summary>
    /// 64 MiB of RAM (DMA and DMA32 zones): the classic PC low-memory layout, the kernel at 1 MiB, the
    /// first MiB carved out.
    /// </summary>
    public static PhysicalMachine Small()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 0x9FC00, 1);
        map.AddFirmwareEntry(0x9FC00, 0x400, 2);
        map.AddFirmwareEntry(0xF0000, 0x10000, 2);
        map.AddFirmwareEntry(1 * MiB, 63 * MiB, 1);
        Reserve(map, KernelBase, KernelEnd - KernelBase, MemoryRegionKind.KernelImage);
        Reserve(map, 0, MemoryMap.LowMemoryEnd, MemoryRegionKind.LowMemory);
        return new PhysicalMachine(new EmulatedRam(0, 64 * MiB), map);
    }

    /// <summary>
    /// A 5 GiB machine with RAM in all three zones: usable below 16 MiB, 16 to 64 MiB, and 4 GiB to
    /// 4 GiB + 8 MiB; the PCI hole below 4 GiB reserved and the rest of the RAM given to firmware, so
    /// draining every zone stays cheap. calloc backs only the pages the allocator touches (its metadata).
    /// </summary>
    public static PhysicalMachine ThreeZones()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 0x9FC00, 1);
        map.AddFirmwareEntry(0xF0000, 0x10000, 2);
        map.AddFirmwareEntry(1 * MiB, 63 * MiB, 1);
        map.AddFirmwareEntry(64 * MiB, 3 * GiB - 64 * MiB, 2);
        map.AddFirmwareEntry(3 * GiB, 1 * GiB, 2);
        map.AddFirmwareEntry(4 * GiB, 8 * MiB, 1);
        map.AddFirmwareEntry(4 * GiB + 8 * MiB, 1 * GiB - 8 * MiB, 2);
        Reserve(map, KernelBase, KernelEnd - KernelBase, MemoryRegionKind.KernelImage);
        Reserve(map, 0, MemoryMap.LowMemoryEnd, MemoryRegionKind.LowMemory);
        return new PhysicalMachine(new EmulatedRam(0, 5 * GiB), map);
    }

    /// <summary>
    /// 32 MiB straddling 4 GiB (DMA32 and Normal), behind a reserved hole: a small machine for testing
    /// the Normal zone without a mem_map for all of the first 4 GiB.
    /// </summary>
    public static PhysicalMachine AroundFourGiB()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(4 * GiB - 16 * MiB, 12 * MiB, 1);
        map.AddFirmwareEntry(4 * GiB - 4 * MiB, 4 * MiB, 2);
        map.AddFirmwareEntry(4 * GiB, 16 * MiB, 1);
        return new PhysicalMachine(new EmulatedRam(4 * GiB - 16 * MiB, 32 * MiB), map);
    }

    /// <summary>Where <see cref="OneBlock"/> keeps its single free 4 MiB block.</summary>
    public const ulong OneBlockBase = 20 * MiB;

    /// <summary>
    /// A machine whose free memory is exactly one 4 MiB buddy block at 20 MiB: the metadata for the span
    /// 16 to 24 MiB (2048 frames, 16 KiB) fills the other usable range completely.
    /// </summary>
    public static PhysicalMachine OneBlock() => WithUsable((16 * MiB, 16 * KiB), (OneBlockBase, 4 * MiB));

    /// <summary>A machine with exactly the given usable ranges (no carve-outs), RAM from 0 to the highest end.</summary>
    public static PhysicalMachine WithUsable(params (ulong Base, ulong Length)[] ranges)
    {
        var map = new MemoryMap();
        ulong end = 0;
        foreach ((ulong @base, ulong length) in ranges)
        {
            Assert.Equal(MemoryMapStatus.Ok, map.AddFirmwareEntry(@base, length, 1));
            end = Math.Max(end, @base + length);
        }
        return new PhysicalMachine(new EmulatedRam(0, end), map);
    }

    public void Dispose() => Ram.Dispose();

    /// <summary>The allocator's free-block count for every zone and order, zone-major: a snapshot to compare.</summary>
    public static ulong[] FreeBlockCounts(FrameAllocator<EmulatedRam.Accessor> frames)
    {
        const int MaxOrder = FrameAllocator<EmulatedRam.Accessor>.MaxOrder;
        var counts = new ulong[Zone.Count * (MaxOrder + 1)];
        for (int zone = 0; zone < Zone.Count; zone++)
        {
            for (int order = 0; order <= MaxOrder; order++)
            {
                counts[zone * (MaxOrder + 1) + order] = frames.FreeBlockCount((ZoneId)zone, order);
            }
        }
        return counts;
    }

    private static void Reserve(MemoryMap map, ulong @base, ulong length, MemoryRegionKind kind)
        => Assert.Equal(MemoryMapStatus.Ok, map.Reserve(@base, length, kind));
}
