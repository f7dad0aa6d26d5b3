using Kernel.Mem;
using Kernel.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Physical;

/// <summary>
/// The cache of single frames behind the frame-source seam: frames given back there wait outside the buddy
/// blocks and are the first handed out again; they stay free in every count; runs and a full cache send them
/// back to the blocks.
/// </summary>
public sealed unsafe class FrameCacheTests
{
    private const ulong PageSize = MemConstants.PageSize;
    private const int MaxOrder = FrameAllocator<Kernel.Tests.Emulation.EmulatedRam.Accessor>.MaxOrder;

    [Fact]
    public void A_frame_given_back_through_the_frame_source_is_the_next_one_handed_out_and_splits_no_block()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        var frames = machine.Frames;
        Assert.True(frames.TryAllocateFrame(out ulong first));
        ulong[] blocks = PhysicalMachine.FreeBlockCounts(frames);

        frames.FreeFrame(first);

        Assert.Equal(1UL, frames.CachedFrames);
        Assert.Equal(1024UL, frames.FreeFrames);
        Assert.Equal(blocks, PhysicalMachine.FreeBlockCounts(frames));
        Assert.True(frames.TryAllocateFrame(out ulong again));
        Assert.Equal(first, again);
        Assert.Equal(blocks, PhysicalMachine.FreeBlockCounts(frames));
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void A_batch_comes_from_the_cache_of_the_highest_zone_with_free_frames_last_freed_first()
    {
        // All of this machine's memory lies in DMA32: a request from Normal down is served there.
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        var frames = machine.Frames;
        ulong* list = stackalloc ulong[4];
        Assert.True(frames.TryAllocateFrames(list, 4, FrameTag.None));
        ((IFrameSource)frames).FreeFrames(list, 4);
        ulong[] blocks = PhysicalMachine.FreeBlockCounts(frames);
        ulong* again = stackalloc ulong[4];

        Assert.True(frames.TryAllocateFrames(again, 4, 100));

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(list[3 - i], again[i]);
            Assert.True(frames.TryGetFrameTag(again[i], out ulong tag));
            Assert.Equal(100UL + (ulong)i, tag);
        }
        Assert.Equal(0UL, frames.CachedFrames);
        Assert.Equal(blocks, PhysicalMachine.FreeBlockCounts(frames));
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void A_batch_larger_than_the_cache_takes_the_cached_frames_first_then_blocks()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        var frames = machine.Frames;
        ulong* list = stackalloc ulong[2];
        Assert.True(frames.TryAllocateFrames(list, 2, FrameTag.None));
        ((IFrameSource)frames).FreeFrames(list, 2);
        ulong* again = stackalloc ulong[4];

        Assert.True(frames.TryAllocateFrames(again, 4, FrameTag.None));

        Assert.Equal(list[1], again[0]);
        Assert.Equal(list[0], again[1]);
        Assert.Equal(0UL, frames.CachedFrames);
        Assert.Equal(1024UL - 4, frames.FreeFrames);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Frees_beyond_the_cache_capacity_go_back_to_the_blocks()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        var frames = machine.Frames;
        const ulong Count = FrameAllocator<Kernel.Tests.Emulation.EmulatedRam.Accessor>.CacheCapacity + 36;
        ulong* list = stackalloc ulong[(int)Count];
        Assert.True(frames.TryAllocateFrames(list, Count, FrameTag.None));

        ((IFrameSource)frames).FreeFrames(list, Count);

        Assert.Equal((ulong)FrameAllocator<Kernel.Tests.Emulation.EmulatedRam.Accessor>.CacheCapacity, frames.CachedFrames);
        Assert.Equal(1024UL, frames.FreeFrames);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void A_run_takes_back_the_cached_frames_so_every_free_frame_can_be_in_it()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        var frames = machine.Frames;
        ulong* list = stackalloc ulong[1024];
        Assert.True(frames.TryAllocateFrames(list, 1024, FrameTag.None));
        ((IFrameSource)frames).FreeFrames(list, 1024);
        Assert.NotEqual(0UL, frames.CachedFrames);

        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(1024, out ulong run));

        Assert.Equal(PhysicalMachine.OneBlockBase, run);
        Assert.Equal(0UL, frames.CachedFrames);
        Assert.Equal(0UL, frames.FreeFrames);
        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(run, 1024));
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
    }

    [Fact]
    public void A_cached_frame_freed_again_is_refused_as_a_double_free()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        var frames = machine.Frames;
        Assert.True(frames.TryAllocateFrame(out ulong frame));
        frames.FreeFrame(frame);

        Assert.Equal(FrameFreeStatus.AlreadyFree, frames.Free(frame));
        frames.FreeFrame(frame);

        Assert.Equal(2UL, frames.RejectedFreeCount(FrameFreeStatus.AlreadyFree));
        Assert.False(frames.TrySetFrameTag(frame, 5));
        Assert.Equal(1UL, frames.CachedFrames);
        Assert.True(frames.VerifyFreeLists());
    }

    [Fact]
    public void Frames_taken_in_one_call_carry_consecutive_tags_and_tags_past_the_mask_take_none()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        var frames = machine.Frames;
        ulong* list = stackalloc ulong[3];

        Assert.True(frames.TryAllocateFrames(list, 3, 7));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(frames.TryGetFrameTag(list[i], out ulong tag));
            Assert.Equal(7UL + (ulong)i, tag);
        }
        ulong free = frames.FreeFrames;
        Assert.False(frames.TryAllocateFrames(list, 3, FrameTag.Mask - 1));
        Assert.Equal(free, frames.FreeFrames);
    }
}
