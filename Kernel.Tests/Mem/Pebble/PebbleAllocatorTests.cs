using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kernel.Mem;
using Kernel.Mem.Pebble;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Physical;
using Xunit;
using PebbleHeader = Kernel.Mem.Pebble.Pebble;

namespace Kernel.Tests.Mem.Pebble;

/// <summary>Behaviours of the bucket/pebble allocator on an emulated machine with RAM in all three zones.</summary>
public sealed unsafe class PebbleAllocatorTests
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;
    private const ulong PageSize = MemConstants.PageSize;

    [Fact]
    public void Headers_are_64_bytes_per_pebble_and_128_per_bucket()
    {
        Assert.Equal(64, sizeof(PebbleHeader));
        Assert.Equal((int)PebbleHeader.HeaderBytes, sizeof(PebbleHeader));
        Assert.Equal((int)Bucket.HeaderBytes, sizeof(Bucket));
        Assert.Equal(128, sizeof(Bucket));
    }

    [Fact]
    public void Presets_are_the_hardware_combinations()
    {
        Assert.Equal(PebbleFlags.Below4GiB | PebbleFlags.Physical | PebbleFlags.Clear, PebbleFlags.Hardware32);
        Assert.Equal(PebbleFlags.Physical | PebbleFlags.Clear, PebbleFlags.Hardware64);
    }

    [Fact]
    public void A_default_allocation_is_64_byte_aligned_and_keeps_a_short_name_and_its_owner()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(100, name: "a-rather-long-pebble-name", owner: 7);
        Assert.True(p != null);
        Assert.Equal(0UL, (ulong)p % 64);
        PebbleInfo info = machine.Info(p);
        Assert.Equal("a-rather-long-pe", PebbleMachine<HostInterruptLock>.Name(info));
        Assert.Equal(7u, info.Owner);
        Assert.Equal(100UL, info.Requested);
        Assert.Equal(128UL, info.Capacity);
        Assert.Equal(PebbleState.InUse, info.State);
        Assert.False(info.IsContiguous);
        Assert.True(machine.Allocator.Verify());
    }

    [Fact]
    public void A_hardware32_pebble_is_contiguous_cleared_and_below_4GiB_in_physical_memory()
    {
        using var machine = PebbleMachine.ThreeZones();
        ulong size = 3 * PageSize + 100;
        byte* p = machine.Allocate(size, flags: PebbleFlags.Hardware32);
        Assert.True(p != null);
        ulong physical = machine.Allocator.PhysicalAddress(p);
        Assert.True(physical + size <= 4 * GiB);
        for (ulong offset = 0; offset < size; offset += PageSize / 2)
        {
            Assert.Equal(physical + offset, machine.Allocator.PhysicalAddress(p + offset));
            // The pointer reaches exactly the physical byte it claims.
            Assert.Equal((ulong)machine.Physical.Ram.Memory.Access(physical + offset), (ulong)(p + offset));
        }
        Assert.True(new Span<byte>(p, (int)size).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void A_hardware64_pebble_may_lie_above_4GiB()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(8 * KiB, flags: PebbleFlags.Hardware64);
        Assert.True(machine.Allocator.PhysicalAddress(p) >= 4 * GiB, "the frame allocator prefers the Normal zone");
    }

    [Theory]
    [InlineData(PebbleFlags.Physical | PebbleFlags.Below16MiB, 16 * MiB)]
    [InlineData(PebbleFlags.Physical | PebbleFlags.Below4GiB, 4 * GiB)]
    [InlineData(PebbleFlags.Virtual | PebbleFlags.Below16MiB, 16 * MiB)]
    [InlineData(PebbleFlags.Virtual | PebbleFlags.Below4GiB, 4 * GiB)]
    [InlineData(PebbleFlags.Physical | PebbleFlags.Below16MiB | PebbleFlags.Below4GiB | PebbleFlags.Anywhere, 16 * MiB)]
    public void Limited_pebbles_lie_below_their_limit_in_every_physical_byte(PebbleFlags flags, ulong limit)
    {
        using var machine = PebbleMachine.ThreeZones();
        for (int i = 0; i < 20; i++)
        {
            ulong size = (ulong)(i * 3001 + 1);
            byte* p = machine.Allocate(size, flags: flags);
            Assert.True(p != null);
            for (ulong offset = 0; offset < size; offset += 512)
            {
                Assert.True(machine.Allocator.PhysicalAddress(p + offset) < limit);
            }
            Assert.True(machine.Allocator.PhysicalAddress(p + size - 1) < limit);
        }
        Assert.All(machine.Buckets(), b => Assert.True(b.PhysicalEnd <= limit));
    }

    [Fact]
    public void Contiguous_pebble_larger_than_the_largest_buddy_block_is_one_frame_run()
    {
        using var machine = PebbleMachine.ThreeZones();
        const ulong Size = 6 * MiB;

        byte* p = machine.Allocate(Size, MiB, flags: PebbleFlags.Physical);

        Assert.True(p != null);
        ulong physical = machine.Allocator.PhysicalAddress(p);
        Assert.Equal(0UL, physical % MiB);
        for (ulong offset = 0; offset < Size; offset += PageSize)
        {
            Assert.Equal(physical + offset, machine.Allocator.PhysicalAddress(p + offset));
        }
        Assert.Equal(PebbleStatus.Ok, machine.Free(p));
        Assert.Equal(machine.BaselineFreeFrames, machine.Frames.FreeFrames);
        Assert.True(machine.Frames.VerifyFrameStates());
    }

    [Fact]
    public void Below1MiB_pebbles_come_from_conventional_memory_and_fail_when_it_is_gone()
    {
        using var machine = new PebbleMachine<HostInterruptLock>(
            PhysicalMachine.WithUsable((64 * KiB, 512 * KiB), (1 * MiB, 31 * MiB)), default);
        byte* p = machine.Allocate(1000, flags: PebbleFlags.Physical | PebbleFlags.Below1MiB);
        Assert.True(p != null);
        Assert.True(machine.Allocator.PhysicalAddress(p) + 1000 <= 1 * MiB);
        ulong before = machine.Frames.FreeFrames;
        Assert.Equal(PebbleStatus.OutOfMemory, machine.Allocator.TryAllocate(
            600 * KiB, 0, 0, PebbleFlags.Physical | PebbleFlags.Below1MiB, "too big", 0, out void* none));
        Assert.True(none == null);
        Assert.Equal(before, machine.Frames.FreeFrames);
    }

    [Theory]
    [InlineData(PebbleFlags.Physical)]
    [InlineData(PebbleFlags.Hardware32)]
    [InlineData(PebbleFlags.Virtual)]
    public void Alignments_up_to_1MiB_hold_on_the_addresses_the_memory_is_used_at(PebbleFlags flags)
    {
        using var machine = PebbleMachine.ThreeZones();
        for (int shift = 6; shift <= 20; shift++)
        {
            ulong alignment = 1UL << shift;
            byte* p = machine.Allocate(100 + (ulong)shift, alignment, flags: flags);
            Assert.True(p != null);
            ulong physical = machine.Allocator.PhysicalAddress(p);
            if ((flags & PebbleFlags.Physical) != 0)
            {
                Assert.Equal(0UL, physical % alignment);
            }
            else
            {
                Assert.Equal(0UL, (ulong)p % alignment);
                Assert.Equal(0UL, physical % Math.Min(alignment, PageSize));
            }
            Assert.Equal(alignment, machine.Info(p).Alignment);
        }
        Assert.True(machine.Allocator.Verify());
    }

    [Fact]
    public void An_aligned_request_without_an_alignment_is_page_aligned()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(10, flags: PebbleFlags.Physical | PebbleFlags.Aligned);
        Assert.Equal(0UL, machine.Allocator.PhysicalAddress(p) % PageSize);
    }

    [Theory]
    [InlineData(64 * 1024, PebbleFlags.Physical | PebbleFlags.Below16MiB)]
    [InlineData(4 * 1024, PebbleFlags.Hardware32)]
    [InlineData(128 * 1024, PebbleFlags.Hardware64)]
    public void Boundary_requests_never_cross_a_boundary_in_physical_memory(ulong boundary, PebbleFlags flags)
    {
        using var machine = PebbleMachine.ThreeZones();
        var random = new Random(1234);
        for (int i = 0; i < 60; i++)
        {
            ulong size = (ulong)random.Next(1, (int)boundary + 1);
            ulong alignment = 1UL << random.Next(6, 13);
            byte* p = machine.Allocate(size, alignment, boundary, flags);
            Assert.True(p != null);
            ulong start = machine.Allocator.PhysicalAddress(p);
            Assert.Equal(start / boundary, (start + size - 1) / boundary);
            Assert.Equal(0UL, start % alignment);
            Assert.Equal(boundary, machine.Info(p).Boundary);
        }
        Assert.True(machine.Allocator.Verify());
    }

    [Theory]
    [InlineData(0UL, 0UL, 0UL, PebbleFlags.None)]
    [InlineData(64UL, 3UL, 0UL, PebbleFlags.None)]
    [InlineData(64UL, 2 * MiB, 0UL, PebbleFlags.None)]
    [InlineData(4096UL, 0UL, 2048UL, PebbleFlags.Physical)]
    [InlineData(100UL, 0UL, 3000UL, PebbleFlags.Physical)]
    [InlineData(64UL, 0UL, 0UL, (PebbleFlags)0x8000)]
    [InlineData(GiB + 1, 0UL, 0UL, PebbleFlags.Physical)]
    [InlineData(GiB - 512 * KiB, MiB, 0UL, PebbleFlags.Hardware64)]
    public void Impossible_requests_are_invalid_and_take_nothing(ulong size, ulong alignment, ulong boundary, PebbleFlags flags)
    {
        using var machine = PebbleMachine.ThreeZones();
        ulong before = machine.Frames.FreeFrames;
        Assert.Equal(PebbleStatus.InvalidRequest, machine.Allocator.TryAllocate(size, alignment, boundary, flags, "x", 0, out void* p));
        Assert.True(p == null);
        Assert.Equal(before, machine.Frames.FreeFrames);
        Assert.Equal(0, machine.Allocator.BucketCount);
        Assert.Equal(1UL, machine.Allocator.GetStatistics().FailedAllocations);
    }

    [Fact]
    public void Pebbles_of_one_type_share_a_bucket_and_types_never_mix()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* a = machine.Allocate(100, flags: PebbleFlags.Hardware32);
        byte* b = machine.Allocate(100, flags: PebbleFlags.Hardware32);
        byte* c = machine.Allocate(100, flags: PebbleFlags.Hardware64);
        byte* d = machine.Allocate(100);
        byte* e = machine.Allocate(100, flags: PebbleFlags.Physical | PebbleFlags.Persistent);
        Assert.Equal(machine.Info(a).Bucket, machine.Info(b).Bucket);
        Assert.Equal(4, machine.Allocator.BucketCount);
        Assert.Equal(4, new[] { machine.Info(a).Bucket, machine.Info(c).Bucket, machine.Info(d).Bucket, machine.Info(e).Bucket }.Distinct().Count());
    }

    [Fact]
    public void Free_merges_a_pebble_with_both_free_neighbours()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* a = machine.Allocate(100);
        byte* b = machine.Allocate(200);
        byte* c = machine.Allocate(300);
        byte* keep = machine.Allocate(400);
        Assert.Equal(PebbleStatus.Ok, machine.Free(a));
        Assert.Equal(PebbleStatus.Ok, machine.Free(c));
        Assert.Equal(3, machine.Pebbles().Count(i => i.State == PebbleState.Free));
        Assert.Equal(PebbleStatus.Ok, machine.Free(b));
        var pebbles = machine.Pebbles();
        Assert.Equal(3, pebbles.Count);
        Assert.Equal(PebbleState.Free, pebbles[0].State);
        Assert.Equal(192UL + 320 + 384 - 64, pebbles[0].Capacity);
        Assert.Equal((ulong)keep, pebbles[1].VirtualStart);
        Assert.True(machine.Allocator.Verify());
    }

    [Fact]
    public void A_bucket_that_becomes_empty_is_released_and_every_frame_comes_back()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* contiguous = machine.Allocate(10 * KiB, flags: PebbleFlags.Hardware32);
        byte* mapped = machine.Allocate(100 * KiB);
        Assert.Equal(2, machine.Allocator.BucketCount);
        Assert.True(machine.Frames.FreeFrames < machine.BaselineFreeFrames);
        ulong virtualPage = MemConstants.AlignDown((ulong)mapped, PageSize);
        Assert.Equal(PagingStatus.Success, machine.Mapper.Translate(virtualPage, out _));

        Assert.Equal(PebbleStatus.Ok, machine.Free(contiguous));
        Assert.Equal(PebbleStatus.Ok, machine.Free(mapped));

        Assert.Equal(0, machine.Allocator.BucketCount);
        Assert.Equal(machine.BaselineFreeFrames, machine.Frames.FreeFrames);
        Assert.Equal(PagingStatus.NotMapped, machine.Mapper.Translate(virtualPage, out _));
        Assert.Contains(virtualPage, machine.TlbLog.Pages);
        PebbleStatistics statistics = machine.Allocator.GetStatistics();
        Assert.Equal(2UL, statistics.BucketsCreated);
        Assert.Equal(2UL, statistics.BucketsReleased);
        Assert.True(machine.Frames.VerifyFreeLists());
    }

    [Fact]
    public void A_persistent_bucket_survives_becoming_empty()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(100, flags: PebbleFlags.Hardware32 | PebbleFlags.Persistent);
        Assert.Equal(PebbleStatus.Ok, machine.Free(p));
        Assert.Equal(1, machine.Allocator.BucketCount);
        byte* again = machine.Allocate(100, flags: PebbleFlags.Hardware32 | PebbleFlags.Persistent);
        Assert.Equal(machine.Buckets()[0].VirtualStart, machine.Info(again).Bucket);
        Assert.Equal(1, machine.Allocator.BucketCount);
    }

    [Fact]
    public void Pointers_outside_every_bucket_are_foreign_and_change_nothing()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(100);
        byte* host = stackalloc byte[128];
        Assert.Equal(PebbleStatus.ForeignPointer, machine.Free(host + 64));
        Assert.Equal(PebbleStatus.ForeignPointer, machine.Free((void*)0x1000));
        Assert.Equal(PebbleStatus.NullPointer, machine.Free(null));
        Assert.True(machine.Reallocate(host + 64, 10) == null);
        Assert.Equal(0UL, machine.Allocator.PhysicalAddress(host));
        Assert.Equal(3UL, machine.Allocator.GetStatistics().ForeignPointers);
        Assert.Equal(PebbleState.InUse, machine.Info(p).State);
    }

    [Fact]
    public void Interior_and_misaligned_pointers_are_invalid_and_change_nothing()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(1000);
        var before = machine.Pebbles();
        Assert.Equal(PebbleStatus.InvalidPointer, machine.Free(p + 128));
        Assert.Equal(PebbleStatus.InvalidPointer, machine.Free(p + 1));
        Assert.Equal(PebbleStatus.InvalidPointer, machine.Free(p - 64));
        Assert.Equal(before, machine.Pebbles());
        Assert.Equal(3UL, machine.Allocator.GetStatistics().InvalidPointers);
    }

    [Fact]
    public void A_second_free_of_a_pebble_whose_header_survives_is_a_double_free()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* a = machine.Allocate(100);
        byte* b = machine.Allocate(100);
        byte* c = machine.Allocate(100);
        Assert.Equal(PebbleStatus.Ok, machine.Free(b));
        Assert.Equal(PebbleStatus.DoubleFree, machine.Free(b));
        Assert.Equal(1UL, machine.Allocator.GetStatistics().DoubleFrees);
        Assert.True(machine.Allocator.Verify());
        Assert.Equal(PebbleStatus.Ok, machine.Free(a));
        Assert.Equal(PebbleStatus.Ok, machine.Free(c));
    }

    [Fact]
    public void A_damaged_header_is_reported_as_corruption()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* a = machine.Allocate(100);
        byte* b = machine.Allocate(100);
        ((PebbleHeader*)(b - 64))->Magic = 0x12345678;
        Assert.Equal(PebbleStatus.Corrupted, machine.Free(b));
        Assert.Equal(1UL, machine.Allocator.GetStatistics().Corruptions);
        ((PebbleHeader*)(b - 64))->Magic = PebbleHeader.ValidMagic;
        Assert.Equal(PebbleStatus.Ok, machine.Free(b));
        Assert.Equal(PebbleStatus.Ok, machine.Free(a));
    }

    [Fact]
    public void Reallocate_shrinks_in_place_and_gives_the_tail_back()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(10 * KiB, flags: PebbleFlags.Hardware32);
        new Span<byte>(p, 100).Fill(0x5A);
        byte* q = machine.Reallocate(p, 100);
        Assert.True(p == q);
        Assert.Equal(128UL, machine.Info(p).Capacity);
        Assert.True(new Span<byte>(q, 100).IndexOfAnyExcept((byte)0x5A) < 0);
        Assert.Equal(2, machine.Pebbles().Count);
        Assert.True(machine.Allocator.Verify());
    }

    [Fact]
    public void Reallocate_within_the_capacity_stays_and_a_cleared_pebble_reads_zero_in_its_growth()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(65, flags: PebbleFlags.Clear);
        new Span<byte>(p, 128).Fill(0x77);
        byte* q = machine.Reallocate(p, 120);
        Assert.True(p == q);
        Assert.True(new Span<byte>(q, 65).IndexOfAnyExcept((byte)0x77) < 0);
        Assert.True(new Span<byte>(q + 65, 55).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Reallocate_grows_by_moving_and_keeps_the_contents_name_and_owner()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Allocate(100, name: "grow", owner: 9);
        byte* blocker = machine.Allocate(100);
        new Span<byte>(p, 100).Fill(0x3C);
        byte* q = machine.Reallocate(p, 5000, owner: 9);
        Assert.True(q != null && q != p);
        Assert.True(new Span<byte>(q, 100).IndexOfAnyExcept((byte)0x3C) < 0);
        PebbleInfo info = machine.Info(q);
        Assert.Equal("grow", PebbleMachine<HostInterruptLock>.Name(info));
        Assert.Equal(9u, info.Owner);
        Assert.Equal(5000UL, info.Requested);
        Assert.Equal(PebbleStatus.DoubleFree, machine.Free(p, owner: 9));
        Assert.Equal(PebbleStatus.Ok, machine.Free(blocker));
    }

    [Fact]
    public void Only_the_owner_frees_or_reallocates_a_pebble_and_a_refusal_changes_nothing()
    {
        using var machine = PebbleMachine.ThreeZones();
        const uint Driver = 3;
        const uint Shell = 1;
        byte* buffer = machine.Allocate(4096, flags: PebbleFlags.Hardware32 | PebbleFlags.Persistent, name: "ide buffer", owner: Driver);
        new Span<byte>(buffer, 4096).Fill(0xA7);
        PebbleStatistics before = machine.Allocator.GetStatistics();

        Assert.Equal(PebbleStatus.NotOwner, machine.Free(buffer, Shell));
        Assert.True(machine.Reallocate(buffer, 0, Shell) == null);
        Assert.True(machine.Reallocate(buffer, 9000, Shell) == null);

        PebbleStatistics after = machine.Allocator.GetStatistics();
        Assert.Equal(before.PebblesInUse, after.PebblesInUse);
        Assert.Equal(before.Frees, after.Frees);
        Assert.Equal(before.NotOwner + 3, after.NotOwner);
        PebbleInfo info = machine.Info(buffer);
        Assert.Equal(PebbleState.InUse, info.State);
        Assert.Equal(Driver, info.Owner);
        Assert.Equal(4096UL, info.Requested);
        Assert.True(new Span<byte>(buffer, 4096).IndexOfAnyExcept((byte)0xA7) < 0);
        // The next allocation does not land on the driver's memory.
        byte* other = machine.Allocate(4096, flags: PebbleFlags.Hardware32 | PebbleFlags.Persistent, owner: Shell);
        Assert.True(other + 4096 <= buffer || other >= buffer + 4096);
        Assert.True(machine.Allocator.Verify());

        Assert.Equal(PebbleStatus.Ok, machine.Free(other, Shell));
        Assert.Equal(PebbleStatus.Ok, machine.Free(buffer, Driver));
    }

    [Fact]
    public void Reallocate_of_null_allocates_and_to_zero_frees()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* p = machine.Reallocate(null, 50);
        Assert.True(p != null);
        Assert.True(machine.Reallocate(p, 0) == null);
        Assert.Equal(0, machine.Allocator.BucketCount);
    }

    [Fact]
    public void FreeOwnedBy_frees_every_pebble_of_that_owner_only_and_releases_emptied_buckets()
    {
        using var machine = PebbleMachine.ThreeZones();
        var mine = new ulong[30];
        for (int i = 0; i < mine.Length; i++)
        {
            PebbleFlags flags = (i % 3) switch { 0 => PebbleFlags.None, 1 => PebbleFlags.Hardware32, _ => PebbleFlags.Hardware64 };
            mine[i] = (ulong)machine.Allocate((ulong)(100 + i * 700), flags: flags, owner: 5);
        }
        byte* other = machine.Allocate(300, owner: 6);
        Assert.Equal(30, machine.Allocator.FreeOwnedBy(5));
        Assert.Equal(0, machine.Allocator.FreeOwnedBy(5));
        Assert.Equal(1, machine.Allocator.BucketCount);
        Assert.Equal(6u, machine.Info(other).Owner);
        Assert.True(machine.Allocator.Verify());
        Assert.Equal(1, machine.Allocator.FreeOwnedBy(6));
        Assert.Equal(machine.BaselineFreeFrames, machine.Frames.FreeFrames);
    }

    [Fact]
    public void The_dump_lists_buckets_and_pebbles_with_types_ranges_sizes_names_owners_and_states()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* dma = machine.Allocate(1000, flags: PebbleFlags.Physical | PebbleFlags.Below16MiB, name: "floppy", owner: 3);
        byte* plain = machine.Allocate(2000, name: "table", owner: 4);
        var buckets = machine.Buckets();
        Assert.Equal(2, buckets.Count);
        Assert.True(buckets[0].VirtualStart < buckets[1].VirtualStart);
        BucketInfo dmaBucket = buckets.Single(b => b.IsContiguous);
        Assert.Equal(PebbleFlags.Physical | PebbleFlags.Below16MiB, dmaBucket.Type);
        Assert.Equal(dmaBucket.VirtualEnd - dmaBucket.VirtualStart, dmaBucket.PhysicalEnd - dmaBucket.PhysicalStart);
        Assert.Equal(16UL, dmaBucket.Pages);
        Assert.Equal(1u, dmaBucket.PebblesInUse);

        PebbleInfo info = machine.Info(dma);
        Assert.Equal("floppy", PebbleMachine<HostInterruptLock>.Name(info));
        Assert.Equal(3u, info.Owner);
        Assert.Equal(machine.Allocator.PhysicalAddress(dma), info.PhysicalStart);
        Assert.Equal(info.PhysicalStart + info.Capacity, info.PhysicalEnd);
        Assert.Equal(dmaBucket.VirtualStart, info.Bucket);
        Assert.Equal(PebbleFlags.Physical | PebbleFlags.Below16MiB, info.Flags);
        PebbleInfo mapped = machine.Info(plain);
        Assert.Equal(PebbleFlags.Virtual, mapped.BucketType);
        Assert.Equal(machine.Allocator.PhysicalAddress(plain), mapped.PhysicalStart);
        Assert.Equal(4, machine.Pebbles().Count);
        Assert.Equal(2, machine.Pebbles().Count(p => p.State == PebbleState.Free && p.Owner == 0 && p.NameLength == 0));
    }

    [Fact]
    public void Statistics_count_bytes_headers_and_operations()
    {
        using var machine = PebbleMachine.ThreeZones();
        byte* a = machine.Allocate(100);
        byte* keep = machine.Allocate(100);
        byte* b = machine.Allocate(1000, flags: PebbleFlags.Hardware32);
        machine.Free(a);
        machine.Free(a);
        PebbleStatistics statistics = machine.Allocator.GetStatistics();
        Assert.Equal(2, statistics.Buckets);
        Assert.Equal(128 * KiB, statistics.BucketBytes);
        Assert.Equal(2UL, statistics.PebblesInUse);
        Assert.Equal(3UL, statistics.FreePebbles);
        Assert.Equal(1100UL, statistics.RequestedBytes);
        Assert.Equal(128UL + 1024, statistics.CapacityInUse);
        Assert.Equal(2 * 128UL + 5 * 64, statistics.HeaderBytes);
        Assert.Equal(128 * KiB - 2 * 128 - 192 - 1088, statistics.FreeBytes);
        Assert.Equal(64 * KiB - 128 - 192 - 192, statistics.LargestFree);
        Assert.Equal(3UL, statistics.Allocations);
        Assert.Equal(1UL, statistics.Frees);
        Assert.Equal(1UL, statistics.DoubleFrees);
        Assert.Equal(2UL, statistics.BucketsCreated);
        Assert.Equal(0UL, statistics.BucketsReleased);
        machine.Free(keep);
        machine.Free(b);
        Assert.Equal(2UL, machine.Allocator.GetStatistics().BucketsReleased);
    }

    [Fact]
    public void First_fit_takes_the_lowest_hole_and_best_fit_the_smallest()
    {
        foreach (PebbleFlags policy in new[] { PebbleFlags.None, PebbleFlags.BestFit })
        {
            using var machine = PebbleMachine.ThreeZones();
            PebbleFlags flags = PebbleFlags.Physical | policy;
            byte* big = machine.Allocate(1000, flags: flags);
            byte* sep1 = machine.Allocate(64, flags: flags);
            byte* small = machine.Allocate(200, flags: flags);
            byte* sep2 = machine.Allocate(64, flags: flags);
            machine.Free(big);
            machine.Free(small);
            byte* p = machine.Allocate(150, flags: flags);
            Assert.True(p == (policy == PebbleFlags.BestFit ? small : big));
            Assert.Equal(policy, machine.Buckets()[0].Policy);
        }
    }

    [Fact]
    public void Interrupts_are_off_while_a_lock_is_held_and_restored_after_every_operation()
    {
        using var machine = PebbleMachine.ThreeZonesRecordingLocks(out RecordingInterruptLock.Log log);
        var random = new Random(7);
        var live = new System.Collections.Generic.List<ulong>();
        for (int i = 0; i < 400; i++)
        {
            if (live.Count > 0 && random.Next(3) == 0)
            {
                int pick = random.Next(live.Count);
                if (random.Next(4) == 0)
                {
                    ulong moved = (ulong)machine.Reallocate((void*)live[pick], (ulong)random.Next(1, 9000));
                    live[pick] = moved;
                }
                else
                {
                    Assert.Equal(PebbleStatus.Ok, machine.Free((void*)live[pick]));
                    live.RemoveAt(pick);
                }
            }
            else
            {
                PebbleFlags flags = random.Next(2) == 0 ? PebbleFlags.Hardware32 : PebbleFlags.None;
                live.Add((ulong)machine.Allocate((ulong)random.Next(1, 20000), flags: flags));
            }
            log.AfterOperation();
            Assert.True(HostInterruptLock.InterruptsEnabled);
        }
        machine.Allocator.FreeOwnedBy(0);
        log.AfterOperation();
        machine.Allocator.GetStatistics();
        log.AfterOperation();
        Assert.Empty(log.Violations);
        Assert.True(log.RemovalsUnderHeapLock > 0);
        Assert.True(log.BucketAcquisitions > 0);
    }

    [Fact]
    public void Concurrent_tasks_allocating_and_freeing_keep_the_heap_consistent_and_leak_nothing()
    {
        using var machine = PebbleMachine.ThreeZones();
        const int Tasks = 4;
        var failures = new int[Tasks];
        Parallel.For(0, Tasks, new ParallelOptions { MaxDegreeOfParallelism = Tasks }, task =>
        {
            var random = new Random(task);
            var live = new System.Collections.Generic.List<(ulong Pointer, ulong Size, byte Fill)>();
            for (int i = 0; i < 1500; i++)
            {
                if (live.Count > 0 && random.Next(2) == 0)
                {
                    int pick = random.Next(live.Count);
                    var (pointer, size, fill) = live[pick];
                    if (new Span<byte>((void*)pointer, (int)size).IndexOfAnyExcept(fill) >= 0)
                    {
                        Interlocked.Increment(ref failures[task]);
                    }
                    if (machine.Free((void*)pointer, (uint)task) != PebbleStatus.Ok)
                    {
                        Interlocked.Increment(ref failures[task]);
                    }
                    live.RemoveAt(pick);
                }
                else
                {
                    ulong size = (ulong)random.Next(1, 6000);
                    PebbleFlags flags = random.Next(3) switch { 0 => PebbleFlags.Hardware32, 1 => PebbleFlags.Hardware64, _ => PebbleFlags.None };
                    byte* p = machine.Allocate(size, flags: flags, owner: (uint)task);
                    if (p == null)
                    {
                        Interlocked.Increment(ref failures[task]);
                        continue;
                    }
                    byte fill = (byte)(task * 16 + i % 16 + 1);
                    new Span<byte>(p, (int)size).Fill(fill);
                    live.Add(((ulong)p, size, fill));
                }
            }
            machine.Allocator.FreeOwnedBy((uint)task);
        });
        Assert.All(failures, f => Assert.Equal(0, f));
        Assert.True(machine.Allocator.Verify());
        Assert.Equal(0, machine.Allocator.BucketCount);
        Assert.Equal(machine.BaselineFreeFrames, machine.Frames.FreeFrames);
    }
}
