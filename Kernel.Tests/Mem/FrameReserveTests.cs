using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.Replacement;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Paging;
using Kernel.Tests.Mem.Replacement;
using Xunit;

namespace Kernel.Tests.Mem;

/// <summary>
/// The kernel's reserve of frames: user memory, which comes through a <see cref="FrameReserve{TSource}"/>, stops
/// where the reserve begins, while the kernel, which asks the source itself, still gets frames; a process's
/// own next fault is the one that runs out, or evicts when there is a page file.
/// </summary>
public sealed unsafe class FrameReserveTests
{
    private const ulong Frames = 512;
    private const ulong Reserve = 64;
    private const ulong HeapPages = 600;

    /// <summary>The kernel's frame source as the reserve sees it: frames handed out, and the count of those left.</summary>
    private sealed class KernelSource : IFrameSource, IFreeFrameCount
    {
        private readonly CountingFrameSource _frames;
        private readonly ulong _total;

        public KernelSource(CountingFrameSource frames, ulong total)
        {
            _frames = frames;
            _total = total;
        }

        public ulong FreeFrameCount => _total - (ulong)_frames.Outstanding;

        public MemoryLock Lock => _frames.Lock;

        public bool TryAllocateFrame(out ulong physical) => _frames.TryAllocateFrame(out physical);

        public void FreeFrame(ulong physical) => _frames.FreeFrame(physical);

        public bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag) => _frames.TryAllocateFrames(frames, count, firstTag);

        public void FreeFrames(ulong* frames, ulong count) => _frames.FreeFrames(frames, count);

        public bool TrySetFrameTag(ulong physical, ulong tag) => _frames.TrySetFrameTag(physical, tag);

        public bool TryGetFrameTag(ulong physical, out ulong tag) => _frames.TryGetFrameTag(physical, out tag);
    }

    private sealed class Machine : System.IDisposable
    {
        public Machine()
        {
            Paging = new PagingFixture(frames: Frames);
            Assert.Equal(PagingStatus.Success, Paging.Mapper.PopulateUpperHalf());
            Kernel = new KernelSource(Paging.Frames, Frames);
            User = new FrameReserve<KernelSource>(Kernel, Reserve);
        }

        public PagingFixture Paging { get; }

        public KernelSource Kernel { get; }

        public FrameReserve<KernelSource> User { get; }

        public UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> CreateSpace()
        {
            Assert.Equal(PagingStatus.Success, UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(
                Paging.Ram.Memory, new RecordingTlb(Paging.Tlb), User, Paging.Root, PageFlags.NoExecute, out var space));
            return space;
        }

        public void Dispose() => Paging.Dispose();
    }

    [Fact]
    public void A_frame_is_refused_once_taking_it_would_leave_less_than_the_reserve_while_the_kernel_still_gets_one()
    {
        using var machine = new Machine();
        ulong available = machine.Kernel.FreeFrameCount - Reserve;
        Assert.Equal(available, machine.User.AvailableFrames);
        for (ulong i = 0; i < available; i++)
        {
            Assert.True(machine.User.TryAllocateFrame(out _));
        }

        Assert.Equal(Reserve, machine.Kernel.FreeFrameCount);
        Assert.Equal(0UL, machine.User.AvailableFrames);
        Assert.False(machine.User.TryAllocateFrame(out ulong refused));
        Assert.Equal(0UL, refused);
        Assert.Equal(1UL, machine.User.Refusals);
        Assert.Equal(Reserve, machine.Kernel.FreeFrameCount);
        Assert.True(machine.Kernel.TryAllocateFrame(out ulong kernel));
        Assert.Equal(Reserve - 1, machine.Kernel.FreeFrameCount);
        Assert.False(machine.User.TryAllocateFrame(out _));

        // The kernel giving its frame back brings the count to the reserve again, not above it.
        machine.Kernel.FreeFrame(kernel);
        Assert.False(machine.User.TryAllocateFrame(out _));
        Assert.Equal(3UL, machine.User.Refusals);
    }

    [Fact]
    public void A_frame_given_back_above_the_reserve_can_be_taken_again()
    {
        using var machine = new Machine();
        ulong available = machine.User.AvailableFrames;
        ulong last = 0;
        for (ulong i = 0; i < available; i++)
        {
            Assert.True(machine.User.TryAllocateFrame(out last));
        }
        machine.User.FreeFrame(last);
        Assert.Equal(1UL, machine.User.AvailableFrames);
        Assert.True(machine.User.TryAllocateFrame(out _));
        Assert.Equal(0UL, machine.User.Refusals);
    }

    [Fact]
    public void A_run_of_frames_is_taken_whole_only_when_it_leaves_the_reserve()
    {
        using var machine = new Machine();
        ulong available = machine.User.AvailableFrames;
        ulong* frames = stackalloc ulong[8];
        for (ulong taken = 0; taken + 8 <= available; taken += 8)
        {
            Assert.True(machine.User.TryAllocateFrames(frames, 8, FrameTag.None));
        }
        ulong left = machine.User.AvailableFrames;
        ulong outstanding = (ulong)machine.Paging.Frames.Outstanding;

        Assert.False(machine.User.TryAllocateFrames(frames, left + 1, FrameTag.None));
        Assert.Equal(outstanding, (ulong)machine.Paging.Frames.Outstanding);
        Assert.Equal(1UL, machine.User.Refusals);
        if (left > 0)
        {
            Assert.True(machine.User.TryAllocateFrames(frames, left, FrameTag.None));
        }
        Assert.Equal(Reserve, machine.Kernel.FreeFrameCount);
        Assert.False(machine.Kernel.Lock.IsHeld);
    }

    [Theory]
    [InlineData(4_096UL, 528UL)]            // 16 MiB usable, the least the kernel runs on
    [InlineData(15_519UL, 572UL)]           // 64 MiB under QEMU
    [InlineData(130_800UL, 1_022UL)]        // 512 MiB
    [InlineData(1_310_000UL, 5_629UL)]      // 5 GiB
    [InlineData(16_777_216UL, 8_192UL)]     // 64 GiB: the ceiling
    public void The_reserve_is_a_floor_plus_a_share_of_the_frames_up_to_a_ceiling(ulong totalFrames, ulong reserve)
    {
        Assert.Equal(reserve, FrameReserve<KernelSource>.SizeFor(totalFrames));
    }

    [Fact]
    public void A_process_touching_every_page_it_can_runs_out_at_the_reserve_with_its_tables_counted_and_the_kernel_keeps_it()
    {
        using var machine = new Machine();
        var space = machine.CreateSpace();
        ulong heap = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, space.ReserveHeap(heap, HeapPages * MemConstants.PageSize));

        ulong backed = 0;
        UserMemoryStatus status;
        while ((status = space.BackReservedPage(heap + backed * MemConstants.PageSize)) == UserMemoryStatus.Ok)
        {
            backed++;
        }

        Assert.Equal(UserMemoryStatus.OutOfMemory, status);
        Assert.True(backed > 0 && backed < HeapPages);
        Assert.Equal(Reserve, machine.Kernel.FreeFrameCount);
        Assert.Equal(backed, space.HeapResidentPages);
        // A new process cannot even get its PML4; the kernel's own requests are served out of the reserve.
        Assert.NotEqual(PagingStatus.Success, UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(
            machine.Paging.Ram.Memory, new RecordingTlb(machine.Paging.Tlb), machine.User, machine.Paging.Root, PageFlags.NoExecute, out _));
        Assert.True(machine.Kernel.TryAllocateFrame(out ulong kernel));
        machine.Kernel.FreeFrame(kernel);

        space.Destroy();
        Assert.Equal(Frames - (ulong)machine.Paging.Frames.Outstanding, machine.Kernel.FreeFrameCount);
        Assert.Equal(machine.Kernel.FreeFrameCount - Reserve, machine.User.AvailableFrames);
    }

    [Fact]
    public void With_a_page_file_a_fault_at_the_reserve_evicts_a_page_instead_of_running_out()
    {
        using var machine = new Machine();
        var store = new MemoryPageStore(machine.Paging.Ram, (int)HeapPages);
        MemoryPageStore.Seam seam = store.AsSeam;
        var space = machine.CreateSpace();
        // A working set larger than the frames the process can get: the frames run out before the set is full.
        space.UseWorkingSet(new WorkingSet((int)HeapPages, ReplacementPolicy.Clock));
        ulong heap = UserLayout.PageAreaBase;
        Assert.Equal(UserMemoryStatus.Ok, space.ReserveHeap(heap, HeapPages * MemConstants.PageSize));

        for (ulong page = 0; page < HeapPages; page++)
        {
            WorkingSetPageFileModelTests.Access(machine.Paging, space, ref seam, heap + page * MemConstants.PageSize, true, (byte)(page + 1));
            Assert.True(machine.Kernel.FreeFrameCount >= Reserve);
        }

        Assert.True(space.PageOuts > 0);
        Assert.Equal(Reserve, machine.Kernel.FreeFrameCount);
        Assert.Equal(HeapPages, space.HeapResidentPages + space.SwappedPages);
        for (ulong page = 0; page < HeapPages; page++)
        {
            Assert.Equal((byte)(page + 1), WorkingSetPageFileModelTests.Access(machine.Paging, space, ref seam, heap + page * MemConstants.PageSize, false, 0));
        }
        space.Destroy(ref seam);
        Assert.Equal(0, store.SlotsInUse);
    }
}
