using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Physical;

public sealed class FrameAllocatorTests
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;
    private const ulong PageSize = MemConstants.PageSize;
    private const int MaxOrder = FrameAllocator<EmulatedRam.Accessor>.MaxOrder;
    private const ulong NoLimit = FrameAllocator<EmulatedRam.Accessor>.NoLimit;
    private const ulong MaxBlockFrames = FrameAllocator<EmulatedRam.Accessor>.MaxBlockFrames;
    private const ulong MaxRunFrames = FrameAllocator<EmulatedRam.Accessor>.MaxRunFrames;

    private static (ulong Free, ulong Dma, ulong Dma32, ulong Normal, ulong Rejected) Statistics(FrameAllocator<EmulatedRam.Accessor> frames)
        => (frames.FreeFrames, frames.GetZone(ZoneId.Dma).FreeFrames, frames.GetZone(ZoneId.Dma32).FreeFrames,
            frames.GetZone(ZoneId.Normal).FreeFrames, frames.RejectedFrees);

    // ---- Creation ----

    [Fact]
    public void Create_places_the_metadata_in_the_first_usable_range_above_16MiB_and_records_it_in_the_map()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        ulong spanFrames = (frames.ManagedEnd - frames.ManagedBase) / PageSize;
        Assert.Equal(16 * MiB, frames.MetadataBase);
        Assert.Equal(MemConstants.AlignUp(spanFrames * FrameEntry.SizeInBytes, PageSize), frames.MetadataBytes);
        Assert.True(machine.Map.TryGetKind(frames.MetadataBase, out MemoryRegionKind kind));
        Assert.Equal(MemoryRegionKind.FrameMetadata, kind);
        Assert.Equal(frames.MetadataBytes, machine.Map.BytesOf(MemoryRegionKind.FrameMetadata));
    }

    [Fact]
    public void Managed_frames_are_the_usable_frames_minus_the_metadata()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        // 2 MiB + one page (the widened kernel image) up to 64 MiB.
        ulong usableFrames = (64 * MiB - 2 * MiB - PageSize) / PageSize;
        Assert.Equal(usableFrames - frames.MetadataBytes / PageSize, frames.TotalFrames);
        Assert.Equal(machine.Map.UsableBytes / PageSize, frames.TotalFrames);
        Assert.Equal(frames.TotalFrames, frames.FreeFrames);
        Assert.Equal(0UL, frames.AllocatedFrames);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Create_puts_the_metadata_below_16MiB_when_nothing_higher_is_usable()
    {
        using PhysicalMachine machine = PhysicalMachine.WithUsable((1 * MiB, 8 * MiB));

        Assert.Equal(1 * MiB, machine.Frames.MetadataBase);
        Assert.Equal(8 * MiB / PageSize - machine.Frames.MetadataBytes / PageSize, machine.Frames.TotalFrames);
    }

    /// <summary>
    /// 23 MiB of RAM below 4 GiB and 4 GiB above it, with only the first 4 GiB reachable, as under the boot
    /// identity map: the RAM above 4 GiB is managed but never touched.
    /// </summary>
    private static MemoryMap LowRamAndFourGiBAbove()
    {
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 0x9FC00, 1);
        map.AddFirmwareEntry(1 * MiB, 22 * MiB, 1);
        map.AddFirmwareEntry(4 * GiB, 4 * GiB, 1);
        Assert.Equal(MemoryMapStatus.Ok, map.Reserve(0, MemoryMap.LowMemoryEnd, MemoryRegionKind.LowMemory));
        Assert.Equal(MemoryMapStatus.Ok, map.Reserve(PhysicalMachine.KernelBase, PhysicalMachine.KernelEnd - PhysicalMachine.KernelBase, MemoryRegionKind.KernelImage));
        return map;
    }

    [Fact]
    public void Create_keeps_the_metadata_below_its_limit_when_the_only_roomy_range_lies_above()
    {
        using var ram = new EmulatedRam(0, 4 * GiB);
        MemoryMap map = LowRamAndFourGiBAbove();

        FrameAllocatorCreateStatus status = FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, new MemoryLock<HostInterruptLock>(), 4 * GiB, out FrameAllocator<EmulatedRam.Accessor> frames);

        Assert.Equal(FrameAllocatorCreateStatus.Ok, status);
        Assert.True(frames.MetadataBytes > 23 * MiB - Zone.DmaEnd, "the low range above 16 MiB must be too short for the metadata");
        Assert.True(frames.MetadataBase + frames.MetadataBytes <= 23 * MiB);
        Assert.Equal(8 * GiB, frames.ManagedEnd);
        Assert.Equal(map.UsableBytes / PageSize, frames.TotalFrames);
        Assert.Equal(4 * GiB / PageSize, frames.GetZone(ZoneId.Normal).FreeFrames);
    }

    [Fact]
    public void Create_refuses_when_nothing_below_the_limit_can_hold_the_metadata()
    {
        using var ram = new EmulatedRam(0, 4 * GiB);
        var map = new MemoryMap();
        map.AddFirmwareEntry(1 * MiB, 2 * MiB, 1);
        map.AddFirmwareEntry(4 * GiB, 4 * GiB, 1);

        FrameAllocatorCreateStatus status = FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, new MemoryLock<HostInterruptLock>(), 4 * GiB, out FrameAllocator<EmulatedRam.Accessor> frames);

        Assert.Equal(FrameAllocatorCreateStatus.NoRoomForMetadata, status);
        Assert.Null(frames);
        Assert.Equal(0UL, map.BytesOf(MemoryRegionKind.FrameMetadata));
    }

    [Fact]
    public void Create_uses_the_part_of_a_range_below_the_limit_when_the_range_straddles_it()
    {
        using var ram = new EmulatedRam(4 * GiB - 64 * MiB, 64 * MiB);
        var map = new MemoryMap();
        map.AddFirmwareEntry(4 * GiB - 64 * MiB, 4 * GiB + 64 * MiB, 1);

        FrameAllocatorCreateStatus status = FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, new MemoryLock<HostInterruptLock>(), 4 * GiB, out FrameAllocator<EmulatedRam.Accessor> frames);

        Assert.Equal(FrameAllocatorCreateStatus.Ok, status);
        Assert.Equal(4 * GiB - 64 * MiB, frames.MetadataBase);
        Assert.True(frames.MetadataBase + frames.MetadataBytes <= 4 * GiB);
    }

    [Fact]
    public void Create_without_usable_memory_fails()
    {
        using var ram = new EmulatedRam(0, 16 * MiB);
        var map = new MemoryMap();
        map.AddFirmwareEntry(0, 16 * MiB, 2);

        FrameAllocatorCreateStatus status = FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, new MemoryLock<HostInterruptLock>(), out FrameAllocator<EmulatedRam.Accessor> frames);

        Assert.Equal(FrameAllocatorCreateStatus.NoUsableMemory, status);
        Assert.Null(frames);
    }

    [Fact]
    public void Create_fails_when_no_usable_range_can_hold_the_metadata()
    {
        using var ram = new EmulatedRam(0, PageSize);
        var map = new MemoryMap();
        map.AddFirmwareEntry(1 * MiB, PageSize, 1);
        map.AddFirmwareEntry(1 * GiB, PageSize, 1);

        FrameAllocatorCreateStatus status = FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, new MemoryLock<HostInterruptLock>(), out _);

        Assert.Equal(FrameAllocatorCreateStatus.NoRoomForMetadata, status);
        Assert.Equal(0UL, map.BytesOf(MemoryRegionKind.FrameMetadata));
    }

    [Fact]
    public void Create_fails_when_the_map_cannot_record_the_metadata()
    {
        using var ram = new EmulatedRam(0, 2 * MiB);
        var map = new MemoryMap(1);
        map.AddFirmwareEntry(1 * MiB, 1 * MiB, 1);

        FrameAllocatorCreateStatus status = FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, new MemoryLock<HostInterruptLock>(), out _);

        Assert.Equal(FrameAllocatorCreateStatus.MemoryMapFull, status);
    }

    [Fact]
    public void Allocator_reads_and_writes_nothing_but_its_metadata()
    {
        using var ram = new EmulatedRam(0, 64 * MiB);
        var map = new MemoryMap();
        map.AddFirmwareEntry(1 * MiB, 63 * MiB, 1);
        var log = new TouchLog();
        FrameAllocator<TouchRecordingMemory>.Create(map, new TouchRecordingMemory(ram.Memory, log), new MemoryLock<HostInterruptLock>(), out FrameAllocator<TouchRecordingMemory> frames);

        var held = new List<ulong>();
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(frames.Allocate(out ulong frame));
            held.Add(frame);
        }
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(100, 64 * KiB, 0, 16 * MiB, 1 * MiB, out ulong run));
        foreach (ulong frame in held)
        {
            frames.Free(frame);
        }
        frames.FreeRun(run, 100);
        frames.Free(run);

        Assert.NotEmpty(log.Touched);
        foreach (ulong address in log.Touched)
        {
            Assert.InRange(address, frames.MetadataBase, frames.MetadataBase + frames.MetadataBytes - 1);
        }
    }

    // ---- Single frames and the buddy system ----

    [Fact]
    public void Single_frame_splits_the_only_block_down_to_order_zero()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));

        Assert.True(frames.Allocate(out ulong frame));

        Assert.Equal(PhysicalMachine.OneBlockBase, frame);
        for (int order = 0; order < MaxOrder; order++)
        {
            Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, order));
        }
        Assert.Equal(0UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
        Assert.Equal(1023UL, frames.FreeFrames);
        Assert.Equal(512UL, frames.GetZone(ZoneId.Dma32).LargestFreeBlockFrames);
    }

    [Fact]
    public void Single_frames_come_from_the_smallest_free_block()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        frames.Allocate(out ulong first);
        frames.Allocate(out ulong second);
        frames.Allocate(out ulong third);

        Assert.Equal(PhysicalMachine.OneBlockBase, first);
        Assert.Equal(PhysicalMachine.OneBlockBase + PageSize, second);
        Assert.Equal(PhysicalMachine.OneBlockBase + 2 * PageSize, third);
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, 0));
        Assert.Equal(0UL, frames.FreeBlockCount(ZoneId.Dma32, 1));
    }

    [Fact]
    public void Freeing_the_only_frame_coalesces_everything_back_into_one_block()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        frames.Allocate(out ulong frame);

        Assert.Equal(FrameFreeStatus.Ok, frames.Free(frame));

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.Equal(1024UL, frames.FreeFrames);
        Assert.Equal(1024UL, frames.MeasureLargestFreeRun(ZoneId.Dma32));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Buddies_coalesce_only_once_both_are_free()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.Allocate(out ulong first);
        frames.Allocate(out ulong second);

        frames.Free(first);

        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, 0));
        Assert.Equal(0UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));

        frames.Free(second);

        Assert.Equal(0UL, frames.FreeBlockCount(ZoneId.Dma32, 0));
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Largest_free_run_counts_adjacent_blocks_that_are_not_buddies()
    {
        // Free frames 20 MiB + 8 KiB .. + 40 KiB: blocks of 2, 4 and 2 frames, none of them buddies.
        using PhysicalMachine machine = PhysicalMachine.WithUsable((16 * MiB, 16 * KiB), (PhysicalMachine.OneBlockBase + 8 * KiB, 32 * KiB));
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(4UL, frames.GetZone(ZoneId.Dma32).LargestFreeBlockFrames);
        Assert.Equal(8UL, frames.MeasureLargestFreeRun(ZoneId.Dma32));
    }

    // ---- Zones ----

    [Fact]
    public void Ordinary_requests_take_Normal_then_DMA32_then_DMA()
    {
        using PhysicalMachine machine = PhysicalMachine.ThreeZones();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Zone dma = frames.GetZone(ZoneId.Dma);
        Zone dma32 = frames.GetZone(ZoneId.Dma32);
        Zone normal = frames.GetZone(ZoneId.Normal);

        var taken = new List<ulong>();
        while (frames.Allocate(out ulong frame))
        {
            taken.Add(frame);
        }

        Assert.Equal(frames.TotalFrames, (ulong)taken.Count);
        for (int i = 0; i < taken.Count; i++)
        {
            ZoneId expected = (ulong)i < normal.TotalFrames ? ZoneId.Normal
                : (ulong)i < normal.TotalFrames + dma32.TotalFrames ? ZoneId.Dma32
                : ZoneId.Dma;
            Assert.Equal(expected, Zone.Of(taken[i]));
        }
        Assert.Equal(dma.TotalFrames, (ulong)taken.FindAll(f => Zone.Of(f) == ZoneId.Dma).Count);
        Assert.False(frames.Allocate(out ulong none));
        Assert.Equal(0UL, none);

        foreach (ulong frame in taken)
        {
            Assert.Equal(FrameFreeStatus.Ok, frames.Free(frame));
        }
        Assert.Equal(frames.TotalFrames, frames.FreeFrames);
        Assert.Equal(1024UL, frames.GetZone(ZoneId.Normal).LargestFreeBlockFrames);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Zone_limited_request_never_uses_a_higher_zone_and_falls_back_to_lower_ones()
    {
        using PhysicalMachine machine = PhysicalMachine.ThreeZones();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.True(frames.Allocate(ZoneId.Dma, out ulong dmaFrame));
        Assert.True(frames.Allocate(ZoneId.Dma32, out ulong dma32Frame));
        Assert.Equal(ZoneId.Dma, Zone.Of(dmaFrame));
        Assert.Equal(ZoneId.Dma32, Zone.Of(dma32Frame));

        // Drain DMA32; the next DMA32 request must come from DMA, not Normal.
        while (frames.GetZone(ZoneId.Dma32).FreeFrames > 0)
        {
            Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(1, PageSize, 16 * MiB, 4 * GiB, 0, out _));
        }
        Assert.True(frames.Allocate(ZoneId.Dma32, out ulong fallback));

        Assert.Equal(ZoneId.Dma, Zone.Of(fallback));
        Assert.Equal(frames.GetZone(ZoneId.Normal).TotalFrames, frames.GetZone(ZoneId.Normal).FreeFrames);
    }

    [Fact]
    public void Zone_limited_run_comes_from_the_highest_allowed_zone()
    {
        using PhysicalMachine machine = PhysicalMachine.ThreeZones();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(8, ZoneId.Dma32, out ulong dma32Run));
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(8, out ulong anywhere));

        Assert.Equal(ZoneId.Dma32, Zone.Of(dma32Run));
        Assert.Equal(ZoneId.Normal, Zone.Of(anywhere));
    }

    // ---- Runs ----

    [Fact]
    public void Run_of_three_frames_returns_the_unused_fourth_to_the_free_lists()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(3, out ulong run));
        frames.Allocate(out ulong next);

        Assert.Equal(PhysicalMachine.OneBlockBase, run);
        Assert.Equal(PhysicalMachine.OneBlockBase + 3 * PageSize, next);
        Assert.Equal(1020UL, frames.FreeFrames);
    }

    [Fact]
    public void Run_of_the_largest_block_takes_it_whole()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(1024, out ulong run));

        Assert.Equal(PhysicalMachine.OneBlockBase, run);
        Assert.Equal(0UL, frames.FreeFrames);
        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(1, out _));
        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(run, 1024));
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
    }

    [Fact]
    public void Run_start_honours_the_alignment()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.Allocate(out _);

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(2, 64 * KiB, 0, NoLimit, 0, out ulong run));

        Assert.Equal(PhysicalMachine.OneBlockBase + 64 * KiB, run);
        Assert.True(frames.VerifyFreeLists());
    }

    [Fact]
    public void Run_lies_between_low_and_high()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(4, PageSize, 21 * MiB + 4 * KiB, 22 * MiB, 0, out ulong run));

        Assert.Equal(21 * MiB + 4 * KiB, run);
        Assert.Equal(1020UL, frames.FreeFrames);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_may_end_exactly_at_high()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(4, PageSize, 21 * MiB - 16 * KiB, 21 * MiB, 0, out ulong run));

        Assert.Equal(21 * MiB - 16 * KiB, run);
    }

    [Fact]
    public void Run_that_would_reach_past_high_is_refused()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(4, PageSize, 22 * MiB - 8 * KiB, 22 * MiB, 0, out _));
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(2, PageSize, 22 * MiB - 8 * KiB, 22 * MiB, 0, out ulong run));

        Assert.Equal(22 * MiB - 8 * KiB, run);
    }

    [Fact]
    public void Run_does_not_cross_the_boundary()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        // From low, 16 frames would cross 20 MiB + 64 KiB; the first start that does not is that boundary.
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(16, PageSize, PhysicalMachine.OneBlockBase + 60 * KiB, NoLimit, 64 * KiB, out ulong run));

        Assert.Equal(PhysicalMachine.OneBlockBase + 64 * KiB, run);
    }

    [Fact]
    public void Isa_dma_buffer_of_64KiB_lies_below_16MiB_on_a_64KiB_boundary()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        // Fragment the DMA zone first so the request has to search.
        var held = new List<ulong>();
        for (int i = 0; i < 37; i++)
        {
            frames.Allocate(ZoneId.Dma, out ulong frame);
            held.Add(frame);
        }

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(16, 64 * KiB, 0, 16 * MiB, 64 * KiB, out ulong buffer));

        Assert.True(buffer + 64 * KiB <= 16 * MiB);
        Assert.Equal(0UL, buffer % (64 * KiB));
        Assert.DoesNotContain(held, frame => frame >= buffer && frame < buffer + 64 * KiB);
    }

    [Fact]
    public void Run_that_fits_nowhere_is_out_of_memory_and_changes_nothing()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.Allocate(out _);
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);

        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(1, PageSize, 0, 16 * MiB, 0, out ulong run));
        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(1024, out _));
        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(1, ZoneId.Dma, out _));

        Assert.Equal(0UL, run);
        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.Equal(1023UL, frames.FreeFrames);
    }

    [Theory]
    [InlineData(0UL, PageSize, 0UL, NoLimit, 0UL)]
    [InlineData(MaxRunFrames + 1, PageSize, 0UL, NoLimit, 0UL)]
    [InlineData(1UL, 3 * PageSize, 0UL, NoLimit, 0UL)]
    [InlineData(4UL, PageSize, 0UL, NoLimit, 8 * KiB)]
    [InlineData(1UL, PageSize, 0UL, NoLimit, 12 * KiB)]
    [InlineData(1UL, PageSize, 16 * MiB, 16 * MiB, 0UL)]
    [InlineData(1UL, PageSize, 32 * MiB, 16 * MiB, 0UL)]
    public void Impossible_run_request_is_invalid_and_changes_nothing(ulong frameCount, ulong alignment, ulong low, ulong high, ulong boundary)
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameAllocationStatus.InvalidRequest, frames.AllocateRun(frameCount, alignment, low, high, boundary, out ulong run));

        Assert.Equal(0UL, run);
        Assert.Equal(1024UL, frames.FreeFrames);
    }

    [Fact]
    public void Freeing_a_run_frees_all_its_frames_and_coalesces()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        frames.AllocateRun(5, out ulong first);
        frames.AllocateRun(100, out ulong second);

        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(first, 5));
        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(second, 100));

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Frames_of_a_run_may_be_freed_one_by_one()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.AllocateRun(7, out ulong run);

        for (ulong i = 0; i < 7; i++)
        {
            Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + i * PageSize));
        }

        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
    }

    // ---- Runs across blocks: the mem_map scan ----

    /// <summary>
    /// Free frames 20 MiB + 8 KiB up to + 40 KiB and nothing else: blocks of 2, 4 and 2 frames (frames 2-3,
    /// 4-7 and 8-9 of the 4 MiB block at 20 MiB), no two of them buddies. The mem_map for 16 MiB to there
    /// (1034 frames, 12 KiB) fills the range at 16 MiB.
    /// </summary>
    private static PhysicalMachine ThreeNonBuddyBlocks() => PhysicalMachine.WithUsable((16 * MiB, 12 * KiB), (PhysicalMachine.OneBlockBase + 8 * KiB, 32 * KiB));

    [Fact]
    public void Run_of_8MiB_aligned_to_2MiB_spans_several_largest_blocks()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong free = frames.FreeFrames;

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(2 * MaxBlockFrames, 2 * MiB, 0, NoLimit, 0, out ulong run));

        // DMA32 is the highest zone; its first 2 MiB boundary past the metadata at 16 MiB is 18 MiB.
        Assert.Equal(18 * MiB, run);
        Assert.Equal(free - 2 * MaxBlockFrames, frames.FreeFrames);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_longer_than_a_block_comes_from_the_highest_zone_with_room()
    {
        using PhysicalMachine machine = PhysicalMachine.ThreeZones();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        // Normal holds 8 MiB: 6 MiB fit there, 12 MiB only in DMA32.
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(6 * MiB / PageSize, out ulong inNormal));
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(12 * MiB / PageSize, out ulong inDma32));

        Assert.Equal(4 * GiB, inNormal);
        Assert.Equal(ZoneId.Dma32, Zone.Of(inDma32));
        Assert.Equal(ZoneId.Dma32, Zone.Of(inDma32 + 12 * MiB - 1));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_that_fits_only_across_two_adjacent_blocks_that_are_not_buddies_is_granted()
    {
        using PhysicalMachine machine = ThreeNonBuddyBlocks();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(4UL, frames.GetZone(ZoneId.Dma32).LargestFreeBlockFrames);

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(6, out ulong run));

        // Frames 2-7: the whole 2-frame and 4-frame blocks; the last block stays as it was.
        Assert.Equal(PhysicalMachine.OneBlockBase + 8 * KiB, run);
        Assert.Equal(2UL, frames.FreeFrames);
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, 1));
        Assert.Equal(0UL, frames.FreeBlockCount(ZoneId.Dma32, 2));
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_across_blocks_gives_back_the_parts_of_the_blocks_outside_it()
    {
        using PhysicalMachine machine = ThreeNonBuddyBlocks();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        // Only frames 3-6 lie in the window: the end of the 2-frame block and most of the 4-frame one.
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(4, PageSize, PhysicalMachine.OneBlockBase + 12 * KiB, PhysicalMachine.OneBlockBase + 28 * KiB, 0, out ulong run));

        Assert.Equal(PhysicalMachine.OneBlockBase + 12 * KiB, run);
        // Frames 2 and 7 go back as single frames; frames 8-9 stay a 2-frame block.
        Assert.Equal(2UL, frames.FreeBlockCount(ZoneId.Dma32, 0));
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, 1));
        Assert.Equal(0UL, frames.FreeBlockCount(ZoneId.Dma32, 2));
        Assert.Equal(4UL, frames.FreeFrames);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_across_blocks_freed_whole_restores_the_blocks()
    {
        using PhysicalMachine machine = ThreeNonBuddyBlocks();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        frames.AllocateRun(4, PageSize, PhysicalMachine.OneBlockBase + 12 * KiB, PhysicalMachine.OneBlockBase + 28 * KiB, 0, out ulong run);

        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(run, 4));

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.Equal(8UL, frames.MeasureLargestFreeRun(ZoneId.Dma32));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_across_blocks_is_refused_when_a_busy_frame_breaks_every_stretch()
    {
        using PhysicalMachine machine = ThreeNonBuddyBlocks();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(1, PageSize, PhysicalMachine.OneBlockBase + 24 * KiB, PhysicalMachine.OneBlockBase + 28 * KiB, 0, out ulong busy));

        // Frames 2-5 and 7-9 are free, frame 6 is not: no 5 consecutive free frames remain.
        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(5, out ulong run));
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(4, out ulong shorter));

        Assert.Equal(PhysicalMachine.OneBlockBase + 24 * KiB, busy);
        Assert.Equal(0UL, run);
        Assert.Equal(PhysicalMachine.OneBlockBase + 8 * KiB, shorter);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Scan_moves_past_busy_frames_to_the_next_aligned_start()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(1, PageSize, 20 * MiB, 20 * MiB + PageSize, 0, out ulong busy));

        // 16 MiB holds the metadata and 18..26 MiB holds the busy frame: the first 2 MiB start past it is 22 MiB.
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(2 * MaxBlockFrames, 2 * MiB, 16 * MiB, NoLimit, 0, out ulong run));

        Assert.Equal(20 * MiB, busy);
        Assert.Equal(22 * MiB, run);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Scan_honours_low_high_alignment_and_boundary()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        const ulong Boundary = 16 * MiB;

        // From 27 MiB, 8 MiB would cross 32 MiB; the next 1 MiB-aligned start that does not is 32 MiB,
        // and the run then ends exactly at high.
        Assert.Equal(FrameAllocationStatus.OutOfMemory,
            frames.AllocateRun(2 * MaxBlockFrames, 1 * MiB, 27 * MiB - PageSize, 40 * MiB - PageSize, Boundary, out _));
        Assert.Equal(FrameAllocationStatus.Ok,
            frames.AllocateRun(2 * MaxBlockFrames, 1 * MiB, 27 * MiB - PageSize, 40 * MiB, Boundary, out ulong run));

        Assert.Equal(32 * MiB, run);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_never_straddles_two_zones()
    {
        // Free RAM from 12 MiB to 16 MiB + 8 KiB, one stretch across the DMA limit; the mem_map, too large
        // for the 8 KiB above 16 MiB, goes to 32 MiB.
        using PhysicalMachine machine = PhysicalMachine.WithUsable((12 * MiB, 4 * MiB + 8 * KiB), (32 * MiB, 1 * MiB));
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(32 * MiB, frames.MetadataBase);
        Assert.Equal(MaxBlockFrames, frames.GetZone(ZoneId.Dma).FreeFrames);

        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(MaxBlockFrames + 1, PageSize, 0, 32 * MiB, 0, out _));
        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(2, PageSize, 16 * MiB - PageSize, 16 * MiB + PageSize, 0, out _));
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(MaxBlockFrames, PageSize, 0, 32 * MiB, 0, out ulong run));

        Assert.Equal(12 * MiB, run);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Run_of_every_free_frame_in_a_zone_is_granted_and_refused_once_more_is_asked()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong dma32 = frames.GetZone(ZoneId.Dma32).FreeFrames;

        Assert.Equal(FrameAllocationStatus.OutOfMemory, frames.AllocateRun(dma32 + 1, ZoneId.Dma32, out _));
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(dma32, ZoneId.Dma32, out ulong run));

        Assert.Equal(frames.MetadataBase + frames.MetadataBytes, run);
        Assert.Equal(0UL, frames.GetZone(ZoneId.Dma32).FreeFrames);
        Assert.Equal(0UL, frames.GetZone(ZoneId.Dma32).LargestFreeBlockFrames);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Freeing_a_run_longer_than_a_block_whole_restores_maximal_coalescing()
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        ulong largestRun = frames.MeasureLargestFreeRun(ZoneId.Dma32);
        frames.AllocateRun(2 * MaxBlockFrames + 3, 2 * MiB, 0, NoLimit, 0, out ulong run);
        Assert.NotEqual(before, PhysicalMachine.FreeBlockCounts(frames));

        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(run, 2 * MaxBlockFrames + 3));

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.Equal(largestRun, frames.MeasureLargestFreeRun(ZoneId.Dma32));
        Assert.Equal(MaxBlockFrames, frames.GetZone(ZoneId.Dma32).LargestFreeBlockFrames);
        Assert.True(frames.VerifyFrameStates());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Freeing_a_run_longer_than_a_block_frame_by_frame_restores_maximal_coalescing(bool fromTheTop)
    {
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        ulong largestRun = frames.MeasureLargestFreeRun(ZoneId.Dma32);
        const ulong Count = 2 * MaxBlockFrames + 3;
        frames.AllocateRun(Count, 2 * MiB, 0, NoLimit, 0, out ulong run);

        for (ulong i = 0; i < Count; i++)
        {
            ulong frame = fromTheTop ? Count - 1 - i : i;
            Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + frame * PageSize));
        }

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.Equal(largestRun, frames.MeasureLargestFreeRun(ZoneId.Dma32));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Frames_of_a_run_across_blocks_free_one_by_one_back_into_the_original_blocks()
    {
        using PhysicalMachine machine = ThreeNonBuddyBlocks();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        frames.AllocateRun(6, out ulong run);

        foreach (ulong frame in new ulong[] { 3, 0, 5, 1, 4, 2 })
        {
            Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + frame * PageSize));
        }

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.True(frames.VerifyFrameStates());
    }

    // ---- Rejected frees ----

    [Fact]
    public void Double_free_is_reported_counted_and_changes_nothing()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.Allocate(out ulong keep);
        frames.Allocate(out ulong frame);
        frames.Free(frame);
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        var statistics = Statistics(frames);

        Assert.Equal(FrameFreeStatus.AlreadyFree, frames.Free(frame));

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.Equal(statistics with { Rejected = 1 }, Statistics(frames));
        Assert.Equal(1UL, frames.RejectedFreeCount(FrameFreeStatus.AlreadyFree));
        Assert.Equal(frame, frames.LastRejectedFree);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Double_free_is_detected_after_the_frame_merged_into_a_larger_block()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.Allocate(out ulong first);
        frames.Allocate(out ulong second);
        frames.Free(first);
        frames.Free(second);

        Assert.Equal(FrameFreeStatus.AlreadyFree, frames.Free(first));
        Assert.Equal(FrameFreeStatus.AlreadyFree, frames.Free(second));

        Assert.Equal(2UL, frames.RejectedFrees);
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
        Assert.Equal(1024UL, frames.FreeFrames);
    }

    [Fact]
    public void Free_of_a_frame_never_handed_out_is_reported()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameFreeStatus.AlreadyFree, frames.Free(PhysicalMachine.OneBlockBase + 1 * MiB));

        Assert.Equal(1024UL, frames.FreeFrames);
        Assert.Equal(1UL, frames.RejectedFrees);
    }

    [Fact]
    public void Free_of_reserved_memory_or_the_metadata_is_reported_as_not_managed()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameFreeStatus.NotManaged, frames.Free(18 * MiB));
        Assert.Equal(FrameFreeStatus.NotManaged, frames.Free(frames.MetadataBase));

        Assert.Equal(2UL, frames.RejectedFreeCount(FrameFreeStatus.NotManaged));
        Assert.Equal(1024UL, frames.FreeFrames);
        Assert.True(frames.VerifyFrameStates());
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(8 * MiB)]
    [InlineData(24 * MiB)]
    [InlineData(64 * GiB)]
    public void Free_outside_managed_memory_is_reported(ulong address)
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        Assert.Equal(FrameFreeStatus.OutsideManagedRange, frames.Free(address));

        Assert.Equal(1UL, frames.RejectedFreeCount(FrameFreeStatus.OutsideManagedRange));
        Assert.Equal(1024UL, frames.FreeFrames);
    }

    [Fact]
    public void Run_reaching_past_managed_memory_is_reported()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.AllocateRun(1024, out ulong run);

        Assert.Equal(FrameFreeStatus.OutsideManagedRange, frames.FreeRun(run, 1025));
        Assert.Equal(FrameFreeStatus.OutsideManagedRange, frames.FreeRun(run, ulong.MaxValue));

        Assert.Equal(0UL, frames.FreeFrames);
    }

    [Fact]
    public void Misaligned_free_is_reported()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.Allocate(out ulong frame);

        Assert.Equal(FrameFreeStatus.Misaligned, frames.Free(frame + 8));

        Assert.Equal(1023UL, frames.FreeFrames);
        Assert.Equal(1UL, frames.RejectedFreeCount(FrameFreeStatus.Misaligned));
    }

    [Fact]
    public void Empty_run_free_is_reported()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.Allocate(out ulong frame);

        Assert.Equal(FrameFreeStatus.EmptyRun, frames.FreeRun(frame, 0));

        Assert.Equal(1023UL, frames.FreeFrames);
    }

    [Fact]
    public void Run_free_with_one_free_frame_in_it_frees_none_of_them()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        frames.AllocateRun(4, out ulong run);
        frames.Free(run + 2 * PageSize);

        Assert.Equal(FrameFreeStatus.AlreadyFree, frames.FreeRun(run, 4));

        Assert.Equal(1021UL, frames.FreeFrames);
        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(run, 2));
        Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + 3 * PageSize));
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
    }

    // ---- The IFrameSource seam ----

    [Fact]
    public void Allocator_serves_as_a_frame_source()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();

        ulong frame = TakeAndReturnTwice(machine.Frames);

        Assert.Equal(PhysicalMachine.OneBlockBase, frame);
        Assert.Equal(1024UL, machine.Frames.FreeFrames);
        Assert.Equal(1UL, machine.Frames.RejectedFrees);
    }

    private static ulong TakeAndReturnTwice<TSource>(TSource source)
        where TSource : IFrameSource
    {
        Assert.True(source.TryAllocateFrame(out ulong frame));
        source.FreeFrame(frame);
        source.FreeFrame(frame);
        return frame;
    }
}
