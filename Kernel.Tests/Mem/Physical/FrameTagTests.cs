using Kernel.Mem;
using Kernel.Mem.Physical;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Physical;

/// <summary>
/// Frame tags: the word the owner of an allocated frame keeps in the frame's mem_map entry, in the bits a
/// free frame uses for its free-list links.
/// </summary>
public sealed class FrameTagTests
{
    private const ulong KiB = MemConstants.KiB;
    private const ulong MiB = MemConstants.MiB;
    private const ulong GiB = MemConstants.GiB;
    private const ulong PageSize = MemConstants.PageSize;
    private const int MaxOrder = FrameAllocator<EmulatedRam.Accessor>.MaxOrder;

    [Fact]
    public void A_tag_set_on_an_allocated_frame_reads_back_from_any_address_in_the_frame()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.True(frames.Allocate(out ulong frame));

        Assert.True(frames.TrySetFrameTag(frame + 0x123, 0x00AB_CDEF_0123_4567));

        Assert.True(frames.TryGetFrameTag(frame, out ulong tag));
        Assert.Equal(0x00AB_CDEF_0123_4567UL, tag);
        Assert.True(frames.TryGetFrameTag(frame + PageSize - 1, out tag));
        Assert.Equal(0x00AB_CDEF_0123_4567UL, tag);
    }

    [Fact]
    public void A_newly_allocated_frame_carries_no_tag()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(3, out ulong run));

        for (ulong i = 0; i < 3; i++)
        {
            Assert.True(frames.TryGetFrameTag(run + i * PageSize, out ulong tag));
            Assert.Equal(FrameTag.None, tag);
        }
    }

    [Fact]
    public void Freeing_a_frame_erases_its_tag_so_its_next_owner_finds_none()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.True(frames.Allocate(out ulong frame));
        Assert.True(frames.TrySetFrameTag(frame, FrameTag.Mask));

        Assert.Equal(FrameFreeStatus.Ok, frames.Free(frame));

        Assert.False(frames.TryGetFrameTag(frame, out ulong tag));
        Assert.Equal(0UL, tag);
        Assert.True(frames.VerifyFrameStates());
        Assert.True(frames.Allocate(out ulong again));
        Assert.Equal(frame, again);
        Assert.True(frames.TryGetFrameTag(again, out tag));
        Assert.Equal(FrameTag.None, tag);
    }

    [Fact]
    public void Tags_are_refused_for_free_frames()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);

        // The head of the free 4 MiB block (whose links the tag would overwrite) and a frame inside it.
        foreach (ulong free in new[] { PhysicalMachine.OneBlockBase, PhysicalMachine.OneBlockBase + 5 * PageSize })
        {
            Assert.False(frames.TrySetFrameTag(free, 1));
            Assert.False(frames.TryGetFrameTag(free, out ulong tag));
            Assert.Equal(0UL, tag);
        }

        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Tags_are_refused_for_frames_the_allocator_does_not_manage()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;

        // The mem_map itself, the hole between the regions, below and above the managed range.
        foreach (ulong unmanaged in new[] { frames.MetadataBase, 18 * MiB, frames.ManagedBase - PageSize, frames.ManagedEnd, ulong.MaxValue })
        {
            Assert.False(frames.TrySetFrameTag(unmanaged, 1));
            Assert.False(frames.TryGetFrameTag(unmanaged, out ulong tag));
            Assert.Equal(0UL, tag);
        }
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void A_tag_wider_than_56_bits_is_refused_and_the_old_tag_kept()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.True(frames.Allocate(out ulong frame));
        Assert.True(frames.TrySetFrameTag(frame, 42));

        Assert.False(frames.TrySetFrameTag(frame, FrameTag.Mask + 1));
        Assert.False(frames.TrySetFrameTag(frame, ulong.MaxValue));

        Assert.True(frames.TryGetFrameTag(frame, out ulong tag));
        Assert.Equal(42UL, tag);
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Tags_of_live_frames_survive_their_neighbours_being_freed_and_coalesced()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(16, out ulong run));
        for (ulong i = 0; i < 16; i++)
        {
            // Every bit of the tag set in some frame, so a tag leaking into the state or order would show.
            Assert.True(frames.TrySetFrameTag(run + i * PageSize, FrameTag.Mask - i));
        }

        // Free every other frame, then the rest but frame 7: buddies merge into blocks of orders 0 to 3 around it.
        for (ulong i = 0; i < 16; i += 2)
        {
            Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + i * PageSize));
        }
        for (ulong i = 1; i < 16; i += 2)
        {
            if (i != 7)
            {
                Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + i * PageSize));
            }
        }

        Assert.True(frames.TryGetFrameTag(run + 7 * PageSize, out ulong tag));
        Assert.Equal(FrameTag.Mask - 7, tag);
        Assert.True(frames.VerifyFreeLists());
        Assert.True(frames.VerifyFrameStates());
        Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + 7 * PageSize));
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void A_run_freed_with_tags_leaves_no_tag_behind_in_the_coalesced_block()
    {
        const ulong RunFrames = 512;
        using PhysicalMachine machine = PhysicalMachine.OneBlock();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(RunFrames, out ulong run));
        for (ulong i = 0; i < RunFrames; i++)
        {
            Assert.True(frames.TrySetFrameTag(run + i * PageSize, FrameTag.Mask));
        }

        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(run, RunFrames));

        // VerifyFrameStates requires every free frame but a block head to hold its state alone.
        Assert.True(frames.VerifyFrameStates());
        Assert.Equal(1UL, frames.FreeBlockCount(ZoneId.Dma32, MaxOrder));
    }

    [Fact]
    public void Frames_of_a_run_longer_than_a_block_take_tags_and_lose_them_when_freed()
    {
        const ulong RunFrames = 3 * (1UL << MaxOrder) + 5;
        using PhysicalMachine machine = PhysicalMachine.Small();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        ulong[] before = PhysicalMachine.FreeBlockCounts(frames);
        Assert.Equal(FrameAllocationStatus.Ok, frames.AllocateRun(RunFrames, out ulong run));
        for (ulong i = 0; i < RunFrames; i++)
        {
            Assert.True(frames.TryGetFrameTag(run + i * PageSize, out ulong none));
            Assert.Equal(FrameTag.None, none);
            Assert.True(frames.TrySetFrameTag(run + i * PageSize, FrameTag.Mask - i));
        }

        // Free the first block's worth frame by frame; the tags of the rest stay where they were.
        for (ulong i = 0; i < 1UL << MaxOrder; i++)
        {
            Assert.Equal(FrameFreeStatus.Ok, frames.Free(run + i * PageSize));
        }
        for (ulong i = 1UL << MaxOrder; i < RunFrames; i++)
        {
            Assert.True(frames.TryGetFrameTag(run + i * PageSize, out ulong tag));
            Assert.Equal(FrameTag.Mask - i, tag);
        }
        Assert.Equal(FrameFreeStatus.Ok, frames.FreeRun(run + (PageSize << MaxOrder), RunFrames - (1UL << MaxOrder)));

        Assert.False(frames.TryGetFrameTag(run + (RunFrames - 1) * PageSize, out _));
        Assert.Equal(before, PhysicalMachine.FreeBlockCounts(frames));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void Frames_above_4_GiB_take_tags_like_any_other()
    {
        using PhysicalMachine machine = PhysicalMachine.ThreeZones();
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        Assert.True(frames.Allocate(ZoneId.Normal, out ulong frame));
        Assert.True(frame >= 4 * GiB);

        Assert.True(frames.TrySetFrameTag(frame, 0x0012_3456_789A_BCDE));

        Assert.True(frames.TryGetFrameTag(frame, out ulong tag));
        Assert.Equal(0x0012_3456_789A_BCDEUL, tag);
        Assert.Equal(FrameFreeStatus.Ok, frames.Free(frame));
        Assert.False(frames.TryGetFrameTag(frame, out _));
        Assert.True(frames.VerifyFrameStates());
    }

    [Fact]
    public void The_frame_source_seam_carries_tags()
    {
        using PhysicalMachine machine = PhysicalMachine.OneBlock();

        (bool set, ulong tag, bool afterFree) = TagThroughTheSeam(machine.Frames);

        Assert.True(set);
        Assert.Equal(0x5EA7UL, tag);
        Assert.False(afterFree);
    }

    private static (bool Set, ulong Tag, bool AfterFree) TagThroughTheSeam<TSource>(TSource source)
        where TSource : IFrameSource
    {
        Assert.True(source.TryAllocateFrame(out ulong frame));
        bool set = source.TrySetFrameTag(frame, 0x5EA7);
        source.TryGetFrameTag(frame, out ulong tag);
        source.FreeFrame(frame);
        return (set, tag, source.TryGetFrameTag(frame, out _));
    }

}
