using System;
using System.Collections.Generic;
using System.Threading;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Mem.Physical;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Heap;
using Kernel.Tests.Mem.Paging;
using Kernel.Tests.Mem.Physical;
using Xunit;

namespace Kernel.Tests.Mem.Concurrency;

/// <summary>The memory manager's lock itself, and who shares it.</summary>
public sealed unsafe class MemoryLockTests
{
    [Fact]
    public void The_holder_enters_again_at_once_and_only_the_outermost_exit_frees_the_lock()
    {
        var memoryLock = new MemoryLock<HostInterruptLock>();

        ulong outer = memoryLock.Enter();
        ulong inner = memoryLock.Enter();
        memoryLock.Exit(inner);

        Assert.True(memoryLock.IsHeld);
        Assert.False(HostInterruptLock.InterruptsEnabled);
        memoryLock.Exit(outer);
        Assert.False(memoryLock.IsHeld);
        Assert.True(HostInterruptLock.InterruptsEnabled);
    }

    [Fact]
    public void Another_thread_waits_until_the_holder_has_left()
    {
        var memoryLock = new MemoryLock<HostInterruptLock>();
        using var entered = new ManualResetEventSlim();
        ulong state = memoryLock.Enter();
        var other = new Thread(() =>
        {
            ulong otherState = memoryLock.Enter();
            entered.Set();
            memoryLock.Exit(otherState);
        });
        other.Start();

        Assert.False(entered.Wait(TimeSpan.FromMilliseconds(200)), "entered while the lock was held");
        memoryLock.Exit(state);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "never entered after the holder left");
        other.Join();
    }

    [Fact]
    public void Threads_counting_under_the_lock_lose_no_increment()
    {
        var memoryLock = new MemoryLock<HostInterruptLock>();
        const int PerWorker = 100_000;
        long count = 0;

        Workers.Run((_, _) =>
        {
            for (int i = 0; i < PerWorker; i++)
            {
                ulong state = memoryLock.Enter();
                // A read and a write that another thread must not split.
                long seen = count;
                count = seen + 1;
                memoryLock.Exit(state);
            }
        });

        Assert.Equal((long)PerWorker * Workers.Count, count);
    }

    [Fact]
    public void The_mapper_creates_and_releases_page_tables_with_the_lock_held()
    {
        using var machine = new PagingFixture();
        var checking = new LockCheckingFrameSource(machine.Frames);
        Assert.Equal(PagingStatus.Success, Mapper<EmulatedRam.Accessor, RecordingTlb>.CreateRootTable(machine.Ram.Memory, checking, out ulong root));
        var mapper = new Mapper<EmulatedRam.Accessor, RecordingTlb>(machine.Ram.Memory, new RecordingTlb(machine.Tlb), checking, root);
        checking.Calls.Clear();

        Assert.Equal(PagingStatus.Success, mapper.Map(PagingFixture.UserBase, PagingFixture.Frame(0), PageFlags.Writable, PageSize.Size4KiB));
        Assert.Equal(PagingStatus.Success, mapper.Unmap(PagingFixture.UserBase, PageSize.Size4KiB, out _));

        Assert.Equal(new[] { "allocate held", "allocate held", "allocate held", "free held", "free held", "free held" }, checking.Calls);
        Assert.Same(machine.Frames.Lock, mapper.Lock);
    }

    [Fact]
    public void The_kernel_heap_commits_and_decommits_pages_with_the_lock_held()
    {
        using var machine = new HeapMachine();
        var checking = new LockCheckingFrameSource(machine.Frames);
        using var range = new HostRange(4 * MemConstants.MiB);
        var layout = new KernelHeapLayout(range.Start, range.Size, MemConstants.MiB);
        using var metadata = new HostRange(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(layout));
        Assert.Equal(KernelHeapCreateStatus.Ok, KernelHeap<EmulatedRam.Accessor, RecordingTlb>.Create(
            machine.Mapper, checking, layout, (byte*)metadata.Start, metadata.Size, out var heap));

        void* pages = heap.Allocate(3 * MemConstants.PageSize);
        Assert.Equal(FreeStatus.Freed, heap.Free(pages));

        Assert.NotEmpty(checking.Calls);
        Assert.All(checking.Calls, call => Assert.EndsWith(" held", call));
    }

    [Fact]
    public void A_heap_whose_mapper_holds_another_lock_is_refused()
    {
        using var machine = new HeapMachine();
        var stranger = new CountingFrameSource(machine.Ram, HeapMachine.FrameWindowStart, 1);
        using var range = new HostRange(4 * MemConstants.MiB);
        var layout = new KernelHeapLayout(range.Start, range.Size, MemConstants.MiB);
        using var metadata = new HostRange(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(layout));

        Assert.Equal(KernelHeapCreateStatus.LockMismatch, KernelHeap<EmulatedRam.Accessor, RecordingTlb>.Create(
            machine.Mapper, stranger, layout, (byte*)metadata.Start, metadata.Size, out var heap));
        Assert.Null(heap);
    }

    [Fact]
    public void A_frame_allocator_without_a_lock_is_refused()
    {
        using var ram = new EmulatedRam(0, 64 * MemConstants.MiB);
        var map = new MemoryMap();
        map.AddFirmwareEntry(MemConstants.MiB, 63 * MemConstants.MiB, 1);

        Assert.Equal(FrameAllocatorCreateStatus.NoLock, FrameAllocator<EmulatedRam.Accessor>.Create(map, ram.Memory, null, out var frames));
        Assert.Null(frames);
    }

    /// <summary>Forwards to another source and records, for every call, whether the caller held the lock.</summary>
    private sealed class LockCheckingFrameSource : IFrameSource
    {
        private readonly IFrameSource _inner;

        public LockCheckingFrameSource(IFrameSource inner) => _inner = inner;

        public List<string> Calls { get; } = new List<string>();

        public MemoryLock Lock => _inner.Lock;

        public bool TryAllocateFrame(out ulong physical)
        {
            Record("allocate");
            return _inner.TryAllocateFrame(out physical);
        }

        public void FreeFrame(ulong physical)
        {
            Record("free");
            _inner.FreeFrame(physical);
        }

        public bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag)
        {
            Record("allocate run");
            return _inner.TryAllocateFrames(frames, count, firstTag);
        }

        public void FreeFrames(ulong* frames, ulong count)
        {
            Record("free run");
            _inner.FreeFrames(frames, count);
        }

        public bool TrySetFrameTag(ulong physical, ulong tag)
        {
            Record("tag");
            return _inner.TrySetFrameTag(physical, tag);
        }

        public bool TryGetFrameTag(ulong physical, out ulong tag)
        {
            Record("read tag");
            return _inner.TryGetFrameTag(physical, out tag);
        }

        private void Record(string call) => Calls.Add(call + (Lock.IsHeld ? " held" : " unheld"));
    }
}
