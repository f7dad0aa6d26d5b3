using System;
using System.Linq;
using Kernel.Mem;
using Kernel.Mem.Pebble;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Physical;
using Xunit;
using PebbleHeader = Kernel.Mem.Pebble.Pebble;

namespace Kernel.Tests.Mem.Pebble;

/// <summary>
/// One regression test per defect of the FYSOS reference allocator (docs/fysos-pebbles.md, "Faults of the reference code"): each
/// fails on an allocator that repeats the defect.
/// </summary>
public sealed unsafe class PebbleReferenceDefectTests
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;
    private const ulong PageSize = MemConstants.PageSize;

    [Fact]
    public void Growing_realloc_requests_with_the_original_request_flags_not_the_pebble_state_flags()
    {
        using var machine = PebbleMachine.ThreeZones();
        const PebbleFlags Request = PebbleFlags.Physical | PebbleFlags.Below16MiB | PebbleFlags.Clear | PebbleFlags.Aligned;
        byte* p = machine.Allocate(100, 0, 64 * KiB, Request);
        byte* q = machine.Reallocate(p, 20 * KiB);
        Assert.True(q != null && q != p);
        PebbleInfo info = machine.Info(q);
        Assert.Equal(Request, info.Flags);
        Assert.Equal(PebbleFlags.Physical | PebbleFlags.Below16MiB, info.BucketType);
        Assert.True(info.IsContiguous);
        ulong physical = machine.Allocator.PhysicalAddress(q);
        Assert.True(physical + 20 * KiB <= 16 * MiB);
        Assert.Equal(0UL, physical % PageSize);
        Assert.Equal(64 * KiB, info.Boundary);
        Assert.Equal(physical / (64 * KiB), (physical + 20 * KiB - 1) / (64 * KiB));
    }

    [Fact]
    public void A_growing_realloc_that_cannot_allocate_leaves_the_original_allocated_and_intact()
    {
        using var machine = new PebbleMachine<HostInterruptLock>(
            PhysicalMachine.WithUsable((64 * KiB, 512 * KiB), (1 * MiB, 31 * MiB)), default);
        const PebbleFlags LowMemory = PebbleFlags.Physical | PebbleFlags.Below1MiB;
        byte* p = machine.Allocate(200 * KiB, flags: LowMemory);
        new Span<byte>(p, (int)(200 * KiB)).Fill(0x42);
        ulong freeFrames = machine.Frames.FreeFrames;

        // Out of conventional memory, then impossible (larger than the boundary it was made under, larger than a run).
        Assert.True(machine.Reallocate(p, 400 * KiB) == null);
        Assert.True(machine.Reallocate(p, 5 * MiB) == null);
        byte* bounded = machine.Allocate(1000, 0, 4 * KiB, PebbleFlags.Physical);
        Assert.True(machine.Reallocate(bounded, 8 * KiB) == null);

        Assert.Equal(freeFrames - 1, machine.Frames.FreeFrames);
        Assert.Equal(PebbleState.InUse, machine.Info(p).State);
        Assert.Equal(200 * KiB, machine.Info(p).Requested);
        Assert.True(new Span<byte>(p, (int)(200 * KiB)).IndexOfAnyExcept((byte)0x42) < 0);
        Assert.Equal(PebbleStatus.Ok, machine.Free(p));
        Assert.Equal(PebbleStatus.Ok, machine.Free(bounded));
    }

    [Fact]
    public void Growing_realloc_copies_the_old_size_and_nothing_past_the_old_pebble()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(100, flags: PebbleFlags.Hardware32);
        byte* neighbour = machine.Allocate(8000, flags: PebbleFlags.Hardware32);
        new Span<byte>(p, 100).Fill(0xAB);
        new Span<byte>(p + 100, 28).Fill(0xEE);
        new Span<byte>(neighbour, 8000).Fill(0xCD);
        byte* q = machine.Reallocate(p, 6000);
        Assert.True(q != null && q != p);
        Assert.True(new Span<byte>(q, 100).IndexOfAnyExcept((byte)0xAB) < 0);
        // A cleared pebble: beyond the old size it holds zeros, not the old pebble's slack or its neighbour.
        Assert.True(new Span<byte>(q + 100, 5900).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(new Span<byte>(neighbour, 8000).IndexOfAnyExcept((byte)0xCD) < 0);
    }

    [Fact]
    public void Largest_free_counts_only_free_pebbles()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* big = machine.Allocate(40 * KiB, flags: PebbleFlags.Physical);
        BucketInfo bucket = machine.Buckets().Single();
        ulong free = 64 * KiB - 128 - (64 + 40 * KiB);
        Assert.Equal(free, bucket.LargestFree);
        Assert.Equal(free, machine.Allocator.GetStatistics().LargestFree);
        // A request the in-use pebble could hold, but no free pebble can, needs a new bucket.
        byte* other = machine.Allocate(30 * KiB, flags: PebbleFlags.Physical);
        Assert.NotEqual(bucket.VirtualStart, machine.Info(other).Bucket);
        machine.Free(big);
        Assert.Equal(0, machine.Buckets().Count(b => b.VirtualStart == bucket.VirtualStart));
    }

    [Fact]
    public void A_double_free_of_a_pebble_merged_into_its_neighbour_is_detected()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* a = machine.Allocate(100);
        byte* b = machine.Allocate(100);
        byte* keep = machine.Allocate(100);
        Assert.Equal(PebbleStatus.Ok, machine.Free(a));
        Assert.Equal(PebbleStatus.Ok, machine.Free(b));
        // b's header was absorbed by a's free pebble: its magic is gone.
        Assert.NotEqual(PebbleHeader.ValidMagic, ((PebbleHeader*)(b - 64))->Magic);
        var before = machine.Pebbles();
        Assert.Equal(PebbleStatus.DoubleFree, machine.Free(b));
        Assert.Equal(PebbleStatus.DoubleFree, machine.Free(a));
        Assert.Equal(before, machine.Pebbles());
        Assert.True(machine.Allocator.Verify());
        Assert.Equal(2UL, machine.Allocator.GetStatistics().DoubleFrees);

        // Even a stale header that still reads 'ROCK' (the reference's leftover) does not pass.
        ((PebbleHeader*)(b - 64))->Magic = PebbleHeader.ValidMagic;
        Assert.Equal(PebbleStatus.DoubleFree, machine.Free(b));
        Assert.Equal(PebbleStatus.Ok, machine.Free(keep));
    }

    [Fact]
    public void Bucket_removal_happens_under_the_heap_lock()
    {
        using var machine = PebbleMachine.ThreeZonesRecordingLocks(out RecordingInterruptLock.Log log);
        byte* a = (byte*)machine.Allocator.Allocate(100, 0, 0, PebbleFlags.Hardware32, "a", 1);
        byte* b = (byte*)machine.Allocator.Allocate(100, 0, 0, PebbleFlags.None, "b", 1);
        byte* c = (byte*)machine.Allocator.Allocate(100, 0, 0, PebbleFlags.Hardware64, "c", 2);
        log.AfterOperation();
        Assert.Equal(3, log.CreationsUnderHeapLock);
        machine.Free(a, owner: 1);
        log.AfterOperation();
        machine.Allocator.FreeOwnedBy(1);
        log.AfterOperation();
        machine.Reallocate(c, 0, owner: 2);
        log.AfterOperation();
        Assert.Equal(0, machine.Allocator.BucketCount);
        Assert.Equal(3, log.RemovalsUnderHeapLock);
        Assert.Empty(log.Violations);
    }

    [Fact]
    public void Address_limits_are_judged_on_physical_addresses_where_virtual_and_physical_differ()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* below4 = machine.Allocate(3000, flags: PebbleFlags.Hardware32);
        byte* below16 = machine.Allocate(3000, flags: PebbleFlags.Physical | PebbleFlags.Below16MiB);
        byte* anywhere = machine.Allocate(3000, flags: PebbleFlags.Hardware64);
        ulong physical4 = machine.Allocator.PhysicalAddress(below4);
        ulong physical16 = machine.Allocator.PhysicalAddress(below16);
        // The host pointers are far from the physical addresses; only the physical ones say where the DMA goes.
        Assert.NotEqual((ulong)below4, physical4);
        Assert.NotEqual((ulong)below16, physical16);
        Assert.True((ulong)below16 >= 16 * MiB, "host addresses lie above 16 MiB, so a virtual check would refuse everything");
        Assert.True(physical4 + 3000 <= 4 * GiB);
        Assert.True(physical16 + 3000 <= 16 * MiB);
        Assert.True(machine.Allocator.PhysicalAddress(anywhere) >= 4 * GiB);
        // A below-4-GiB request never lands in the bucket above 4 GiB, whatever its virtual address.
        Assert.NotEqual(machine.Info(anywhere).Bucket, machine.Info(below4).Bucket);
    }

    [Fact]
    public void Alignment_physical_contiguity_and_the_hardware_presets_are_implemented()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(3 * MemConstants.PageSize, MiB, 0, PebbleFlags.Hardware32);
        Assert.True(p != null);
        ulong physical = machine.Allocator.PhysicalAddress(p);
        Assert.Equal(0UL, physical % MiB);
        Assert.True(physical < 4 * GiB);
        for (ulong offset = 0; offset < 3 * PageSize; offset += PageSize)
        {
            Assert.Equal(physical + offset, machine.Allocator.PhysicalAddress(p + offset));
        }
        Assert.True(new Span<byte>(p, (int)(3 * PageSize)).IndexOfAnyExcept((byte)0) < 0);
        byte* q = machine.Allocate(2 * PageSize, 2 * PageSize, 0, PebbleFlags.Hardware64);
        Assert.Equal(0UL, machine.Allocator.PhysicalAddress(q) % (2 * PageSize));
        Assert.True(machine.Info(q).IsContiguous);
    }
}
