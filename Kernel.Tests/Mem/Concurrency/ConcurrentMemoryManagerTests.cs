using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Mem.Pebble;
using Kernel.Mem.Physical;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Concurrency;

/// <summary>
/// The memory manager reached from several tasks at once, as preemption and (later) more CPUs make it: host
/// threads drive one frame allocator, one mapper, several address spaces, one kernel heap and one pebble
/// allocator, all built over one frame allocator as in the kernel, then the invariants and exact frame counts
/// are checked. Each worker checks as it goes that what it holds stays its own (tags, translations, fill
/// patterns), so two tasks handed the same frame, page table entry or block are caught at once.
/// </summary>
public sealed unsafe class ConcurrentMemoryManagerTests
{
    private const ulong PageBytes = MemConstants.PageSize;
    private const int Operations = 20000;

    // Fake frames for mappings the tests make themselves: far above the emulated RAM, never touched.
    private const ulong FakeFrameBase = 0x0000_0010_0000_0000;

    // Each worker's kernel pages interleave with the others' (slot k of worker w is page k * Count + w), and
    // slots lie 129 pages apart, so every page table holds pages of several workers and tables are created and
    // released all the time; the run crosses 1 GiB boundaries, so directories come and go too.
    private const ulong SlotStride = 129 * PageBytes;
    private const int SlotsPerWorker = 256;

    [Fact]
    public void Threads_allocating_and_freeing_frames_never_share_a_frame_and_give_every_frame_back()
    {
        using var machine = new SharedMemoryMachine();
        var owners = new ConcurrentDictionary<ulong, int>();

        Workers.Run((worker, random) => ChurnFrames(machine, owners, worker, random, Operations));

        machine.AssertFramesWhole();
    }

    [Fact]
    public void Threads_mapping_interleaved_pages_through_one_mapper_keep_every_translation_and_release_every_table()
    {
        using var machine = new SharedMemoryMachine();

        Workers.Run((worker, random) => ChurnKernelPages(machine, machine.KernelMapper, worker, random, Operations));

        AssertNoKernelPageTables(machine);
        machine.AssertFramesWhole();
    }

    [Fact]
    public void Threads_each_running_an_address_space_over_one_frame_source_give_every_frame_back()
    {
        using var machine = new SharedMemoryMachine();

        Workers.Run((worker, random) => ChurnAddressSpaces(machine, worker, random, Operations));

        AssertNoKernelPageTables(machine);
        machine.AssertFramesWhole();
    }

    [Fact]
    public void Threads_calling_kmalloc_and_kfree_on_one_heap_never_share_memory_and_leave_it_empty()
    {
        using var machine = new SharedMemoryMachine();

        Workers.Run((worker, random) => ChurnHeap(machine, worker, random, Operations));

        AssertHeapEmpty(machine);
        machine.AssertFramesWhole();
    }

    [Fact]
    public void Threads_allocating_pebbles_beside_threads_mapping_kernel_pages_never_share_memory_and_leave_no_bucket()
    {
        using var machine = new SharedMemoryMachine();

        // The pebble allocator's own locks serialise pebble calls; the kernel pages go through the same mapper
        // and frame allocator as its virtual buckets, which only the memory manager's lock serialises.
        Workers.Run((worker, random) =>
        {
            if (worker % 2 == 0)
            {
                ChurnPebbles(machine, worker, random, Operations / 2);
            }
            else
            {
                ChurnKernelPages(machine, machine.KernelMapper, worker, random, Operations);
            }
        });

        AssertPebblesEmpty(machine);
        machine.AssertFramesWhole();
    }

    [Fact]
    public void Frames_mapper_address_spaces_heap_and_pebbles_used_at_once_share_one_frame_allocator_safely()
    {
        using var machine = new SharedMemoryMachine();
        var owners = new ConcurrentDictionary<ulong, int>();

        Workers.Run((worker, random) =>
        {
            switch (worker % 4)
            {
                case 0:
                    ChurnFrames(machine, owners, worker, random, Operations);
                    break;
                case 1:
                    ChurnAddressSpaces(machine, worker, random, Operations);
                    break;
                case 2:
                    ChurnHeap(machine, worker, random, Operations);
                    break;
                default:
                    ChurnPebbles(machine, worker, random, Operations / 2);
                    break;
            }
        });

        AssertHeapEmpty(machine);
        AssertPebblesEmpty(machine);
        AssertNoKernelPageTables(machine);
        machine.AssertFramesWhole();
    }

    /// <summary>
    /// Single frames from random zones and short constrained runs, each frame claimed in
    /// <paramref name="owners"/> (a frame handed out twice fails the claim) and tagged with a value of its
    /// own that must still be there when it is freed.
    /// </summary>
    private static void ChurnFrames(SharedMemoryMachine machine, ConcurrentDictionary<ulong, int> owners, int worker, Random random, int operations)
    {
        FrameAllocator<EmulatedRam.Accessor> frames = machine.Frames;
        var held = new List<(ulong Start, ulong Count)>();
        for (int i = 0; i < operations; i++)
        {
            if (held.Count > 0 && (held.Count >= 48 || random.Next(2) == 0))
            {
                int victim = random.Next(held.Count);
                (ulong start, ulong count) = held[victim];
                held[victim] = held[^1];
                held.RemoveAt(held.Count - 1);
                for (ulong f = 0; f < count; f++)
                {
                    ulong frame = start + f * PageBytes;
                    Require(frames.TryGetFrameTag(frame, out ulong tag) && tag == TagOf(frame, worker), $"frame 0x{frame:x16} lost its tag");
                    Require(owners.TryRemove(frame, out int owner) && owner == worker, $"frame 0x{frame:x16} was not this worker's");
                }
                Require(frames.FreeRun(start, count) == FrameFreeStatus.Ok, $"free of 0x{start:x16} refused");
                continue;
            }
            ulong first;
            ulong length;
            if (random.Next(3) != 0)
            {
                if (!frames.Allocate((ZoneId)random.Next(Zone.Count), out first))
                {
                    continue;
                }
                length = 1;
            }
            else
            {
                length = (ulong)random.Next(1, 17);
                ulong alignment = PageBytes << random.Next(4);
                ulong high = random.Next(2) == 0 ? FrameAllocator<EmulatedRam.Accessor>.NoLimit : Zone.DmaEnd;
                if (frames.AllocateRun(length, alignment, 0, high, 0, out first) != FrameAllocationStatus.Ok)
                {
                    continue;
                }
            }
            for (ulong f = 0; f < length; f++)
            {
                ulong frame = first + f * PageBytes;
                Require(owners.TryAdd(frame, worker), $"frame 0x{frame:x16} handed out while held");
                Require(frames.TrySetFrameTag(frame, TagOf(frame, worker)), $"frame 0x{frame:x16} refused a tag");
            }
            held.Add((first, length));
        }
        foreach ((ulong start, ulong count) in held)
        {
            for (ulong f = 0; f < count; f++)
            {
                owners.TryRemove(start + f * PageBytes, out _);
            }
            Require(frames.FreeRun(start, count) == FrameFreeStatus.Ok, $"final free of 0x{start:x16} refused");
        }
    }

    /// <summary>
    /// Maps and unmaps this worker's interleaved kernel pages through <paramref name="mapper"/>, checking after
    /// every map that the page translates to its frame, and that an unmap gives that frame back.
    /// </summary>
    private static void ChurnKernelPages<TTlb>(SharedMemoryMachine machine, Mapper<EmulatedRam.Accessor, TTlb> mapper, int worker, Random random, int operations)
        where TTlb : struct, ITlb
    {
        var mapped = new bool[SlotsPerWorker];
        for (int i = 0; i < operations; i++)
        {
            int slot = random.Next(SlotsPerWorker);
            ulong page = KernelPage(worker, slot);
            ulong frame = FakeFrame(worker, slot);
            if (mapped[slot])
            {
                Require(mapper.Unmap(page, PageSize.Size4KiB, out ulong unmapped) == PagingStatus.Success, $"unmap of 0x{page:x16} failed");
                Require(unmapped == frame, $"0x{page:x16} mapped 0x{unmapped:x16}, not 0x{frame:x16}");
                mapped[slot] = false;
            }
            else
            {
                PagingStatus status = mapper.Map(page, frame, PageFlags.Writable | PageFlags.NoExecute, PageSize.Size4KiB);
                Require(status == PagingStatus.Success, $"map of 0x{page:x16}: {status}");
                mapped[slot] = true;
            }
            // Through the kernel's own mapper too: the tables are shared, whoever wrote them.
            PagingStatus seen = machine.KernelMapper.Translate(page, out Translation translation);
            Require(mapped[slot] ? seen == PagingStatus.Success && translation.PhysicalAddress == frame : seen == PagingStatus.NotMapped,
                $"0x{page:x16} translates as {seen} 0x{translation.PhysicalAddress:x16}");
        }
        for (int slot = 0; slot < SlotsPerWorker; slot++)
        {
            if (mapped[slot])
            {
                Require(mapper.Unmap(KernelPage(worker, slot), PageSize.Size4KiB, out _) == PagingStatus.Success, "final unmap failed");
            }
        }
    }

    /// <summary>
    /// A process's life, again and again: a new address space, zeroed pages at the program's address, user
    /// pages mapped and unmapped with frames of the shared allocator, kernel pages read through the process's
    /// mapper (the kernel half is shared), then the space destroyed.
    /// </summary>
    private static void ChurnAddressSpaces(SharedMemoryMachine machine, int worker, Random random, int operations)
    {
        const int UserSlots = 64;
        int done = 0;
        while (done < operations)
        {
            UserAddressSpace<EmulatedRam.Accessor, SilentTlb> space = machine.CreateAddressSpace();
            Require(space.MapZeroed(SharedMemoryMachine.UserPages, 4) == PagingStatus.Success, "MapZeroed failed");
            var frames = new ulong[UserSlots];
            int steps = random.Next(100, 400);
            for (int i = 0; i < steps; i++, done++)
            {
                int slot = random.Next(UserSlots);
                // Slots 129 pages apart: a table per few slots, created and released as they come and go.
                ulong page = SharedMemoryMachine.UserPages + 0x1000_0000 + (ulong)slot * SlotStride;
                if (frames[slot] != 0)
                {
                    Require(space.Mapper.Unmap(page, PageSize.Size4KiB, out ulong frame) == PagingStatus.Success && frame == frames[slot], "user unmap");
                    Require(machine.Frames.Free(frame) == FrameFreeStatus.Ok, "free of a user frame refused");
                    frames[slot] = 0;
                }
                else if (machine.Frames.Allocate(out ulong frame))
                {
                    PagingStatus status = space.Mapper.Map(page, frame, PageFlags.User | PageFlags.Writable | PageFlags.NoExecute, PageSize.Size4KiB);
                    Require(status == PagingStatus.Success, $"user map: {status}");
                    frames[slot] = frame;
                    Require(space.Mapper.Translate(page, out Translation translation) == PagingStatus.Success && translation.PhysicalAddress == frame, "user translation");
                }
                // A kernel page of this worker, mapped through the kernel's mapper, is seen by the process.
                int kernelSlot = random.Next(SlotsPerWorker);
                ulong kernelPage = KernelPage(worker, kernelSlot);
                Require(machine.KernelMapper.Map(kernelPage, FakeFrame(worker, kernelSlot), PageFlags.Writable, PageSize.Size4KiB) == PagingStatus.Success, "kernel map");
                Require(space.Mapper.Translate(kernelPage, out Translation shared) == PagingStatus.Success && shared.PhysicalAddress == FakeFrame(worker, kernelSlot), "kernel page unseen by the process");
                Require(machine.KernelMapper.Unmap(kernelPage, PageSize.Size4KiB, out _) == PagingStatus.Success, "kernel unmap");
            }
            // Destroy gives back every user frame still mapped (they came from the same allocator) and every table.
            space.Destroy();
        }
    }

    /// <summary>
    /// kmalloc of blocks and of page runs (which map and unmap through the kernel's mapper), each filled with a
    /// byte of its own and checked before it is freed; now and then a krealloc, whose contents must move along.
    /// </summary>
    private static void ChurnHeap(SharedMemoryMachine machine, int worker, Random random, int operations)
    {
        KernelHeap<EmulatedRam.Accessor, SilentTlb> heap = machine.Heap;
        var live = new List<(IntPtr Address, ulong Size, byte Fill)>();
        for (int i = 0; i < operations; i++)
        {
            if (live.Count > 0 && (live.Count >= 64 || random.Next(2) == 0))
            {
                int victim = random.Next(live.Count);
                (IntPtr address, ulong size, byte fill) = live[victim];
                live[victim] = live[^1];
                live.RemoveAt(live.Count - 1);
                CheckFill((byte*)address, size, fill, "kmalloc");
                Require(heap.Free((void*)address) == FreeStatus.Freed, "kfree refused");
                continue;
            }
            // Mostly small blocks of a few classes, so the workers meet on the same class lists and pages.
            ulong request = random.Next(8) == 0 ? (ulong)random.Next(1, 9) * PageBytes - (ulong)random.Next(64) : (ulong)random.Next(1, 257);
            byte mark = (byte)(worker * 64 + i % 64);
            byte* memory = (byte*)heap.Allocate(request);
            Require(memory != null, $"kmalloc({request}) failed");
            new Span<byte>(memory, (int)request).Fill(mark);
            if (random.Next(8) == 0)
            {
                ulong grown = request + (ulong)random.Next(1, 3000);
                byte* moved = (byte*)heap.Reallocate(memory, grown);
                Require(moved != null, "krealloc failed");
                CheckFill(moved, request, mark, "krealloc");
                new Span<byte>(moved + request, (int)(grown - request)).Fill(mark);
                memory = moved;
                request = grown;
            }
            live.Add(((IntPtr)memory, request, mark));
        }
        foreach ((IntPtr address, ulong size, byte fill) in live)
        {
            CheckFill((byte*)address, size, fill, "kmalloc");
            Require(heap.Free((void*)address) == FreeStatus.Freed, "final kfree refused");
        }
    }

    /// <summary>Pebbles of every kind (virtual, contiguous, under 16 MiB and 4 GiB, aligned), filled and checked as kmalloc's are.</summary>
    private static void ChurnPebbles(SharedMemoryMachine machine, int worker, Random random, int operations)
    {
        PebbleFlags[] kinds =
        {
            PebbleFlags.None, PebbleFlags.Physical, PebbleFlags.Physical | PebbleFlags.Below16MiB,
            PebbleFlags.Hardware32, PebbleFlags.Aligned,
        };
        var live = new List<(IntPtr Address, ulong Size, byte Fill)>();
        for (int i = 0; i < operations; i++)
        {
            if (live.Count > 0 && (live.Count >= 32 || random.Next(2) == 0))
            {
                int victim = random.Next(live.Count);
                (IntPtr address, ulong size, byte fill) = live[victim];
                live[victim] = live[^1];
                live.RemoveAt(live.Count - 1);
                CheckFill((byte*)address, size, fill, "pebble");
                Require(machine.Pebbles.Free((void*)address, (uint)worker) == PebbleStatus.Ok, "pebble free refused");
                continue;
            }
            ulong request = (ulong)random.Next(16, random.Next(4) == 0 ? 40000 : 2000);
            byte mark = (byte)(worker * 64 + i % 64);
            PebbleStatus status = machine.Pebbles.TryAllocate(request, 0, 0, kinds[random.Next(kinds.Length)], "worker", (uint)worker, out void* pebble);
            Require(status == PebbleStatus.Ok, $"pebble of {request} bytes: {status}");
            new Span<byte>(pebble, (int)request).Fill(mark);
            live.Add(((IntPtr)pebble, request, mark));
        }
        foreach ((IntPtr address, ulong size, byte fill) in live)
        {
            CheckFill((byte*)address, size, fill, "pebble");
            Require(machine.Pebbles.Free((void*)address, (uint)worker) == PebbleStatus.Ok, "final pebble free refused");
        }
    }

    private static void AssertHeapEmpty(SharedMemoryMachine machine)
    {
        HeapStatistics statistics = machine.Heap.GetStatistics();
        Assert.Equal(0UL, statistics.BlockBytesInUse);
        Assert.Equal(0UL, statistics.PagesInUse);
        Assert.Equal(0UL, statistics.Frames);
        Assert.Equal(0UL, statistics.BadFrees);
        Assert.Equal(0UL, statistics.FailedAllocations);
        Assert.True(machine.Heap.Verify());
    }

    private static void AssertPebblesEmpty(SharedMemoryMachine machine)
    {
        Assert.True(machine.Pebbles.Verify());
        PebbleStatistics statistics = machine.Pebbles.GetStatistics();
        Assert.Equal(0UL, statistics.PebblesInUse);
        Assert.Equal(0, statistics.Buckets);
        Assert.Equal(0UL, statistics.DoubleFrees + statistics.ForeignPointers + statistics.InvalidPointers + statistics.Corruptions);
    }

    /// <summary>The kernel half below the region the tests map holds no table any more: the PDPT entry is empty.</summary>
    private static void AssertNoKernelPageTables(SharedMemoryMachine machine)
    {
        Assert.Equal(PagingStatus.Success, machine.KernelMapper.Walk(SharedMemoryMachine.KernelPages, out PageWalk walk));
        Assert.Equal(PageTableLevel.Pdpt, walk.StoppedAt);
        Assert.False(walk.EntryAt(PageTableLevel.Pdpt).IsPresent);
    }

    private static ulong KernelPage(int worker, int slot) => SharedMemoryMachine.KernelPages + ((ulong)slot * Workers.Count + (ulong)worker) * SlotStride;

    private static ulong FakeFrame(int worker, int slot) => FakeFrameBase + ((ulong)slot * Workers.Count + (ulong)worker) * PageBytes;

    private static ulong TagOf(ulong frame, int worker) => (((frame >> MemConstants.PageShift) << 4) | (uint)worker) & FrameTag.Mask;

    private static void CheckFill(byte* memory, ulong size, byte fill, string what)
    {
        int at = new ReadOnlySpan<byte>(memory, (int)size).IndexOfAnyExcept(fill);
        Require(at < 0, $"{what} at 0x{(ulong)memory:x16}: byte {at} of {size} overwritten by another owner");
    }

    /// <summary>An assertion that works on any thread (xunit's Assert would too; this names the failure plainly).</summary>
    private static void Require(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }
}
