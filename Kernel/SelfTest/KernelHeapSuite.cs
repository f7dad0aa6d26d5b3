using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// The kernel heap on the machine: the FOS custom-fit scenario on a private heap with real frames and
/// page tables (<see cref="CustomFitScenario"/>); block-allocator churn on the live heap with every
/// allocation's contents checked; bad kfree pointers refused with the right verdict, counted, warned
/// about and changing nothing; scrubbing; and the live heap and the frame allocator back where they
/// started.
/// </summary>
internal sealed unsafe class KernelHeapSuite : SelfTestSuite
{
    private const int ChurnSlots = 256;
    private const int ChurnOperations = 6000;
    private const ulong ChurnSeed = 0x9E37_79B9_7F4A_7C15;
    private const ulong SmallestRequest = 8;
    private const ulong LargestBlockRequest = 2048;
    private const ulong BlockProbeSize = 64;
    private const ulong PageProbePages = 3;
    private const ulong ScrubBlockSize = 200;
    private const ulong ScrubPages = 3;
    private const byte FillPattern = 0x6B;

    public override string Name => "kheap";

    public override void Run(TestContext test)
    {
        var scenario = new CustomFitScenario(test);
        scenario.Run();
        ObjectAllocator.Free(scenario);

        // From here on the live heap is measured; nothing in between allocates objects.
        KernelHeap<KernelPhysicalMemory, KernelTlb> heap = MemoryManager.Heap;
        HeapStatistics atStart = heap.GetStatistics();
        ulong freeAtStart = MemoryManager.Frames.FreeFrames;

        Churn(test, heap);
        BadFrees(test, heap);
        Scrubbing(test, heap);

        HeapStatistics atEnd = heap.GetStatistics();
        test.Check(atEnd.BlockBytesInUse == atStart.BlockBytesInUse && atEnd.BlockPages == atStart.BlockPages
            && atEnd.PageBytesInUse == atStart.PageBytesInUse && atEnd.PagesInUse == atStart.PagesInUse
            && atEnd.HoleCount == atStart.HoleCount && atEnd.Break == atStart.Break && atEnd.Frames == atStart.Frames,
            "live_heap_statistics_are_back_where_they_started", "bytes in use, pages, holes, break or frames differ");
        test.CheckEqual(freeAtStart, MemoryManager.Frames.FreeFrames, "live_heap_leaks_no_frame");
        Console.Write("kheap: live heap ");
        Console.WriteDecimal(atEnd.BlockBytesInUse);
        Console.Write(" block bytes and ");
        Console.WriteDecimal(atEnd.PagesInUse);
        Console.Write(" pages in use; free frames before ");
        Console.WriteDecimal(freeAtStart);
        Console.Write(", after ");
        Console.WriteDecimal(MemoryManager.Frames.FreeFrames);
        Console.WriteLine();
    }

    /// <summary>A xorshift64 step: deterministic, so a failure replays identically.</summary>
    private static ulong Next(ref ulong state)
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }

    private static byte PatternByte(ulong seed, ulong index) => (byte)(seed + index * 31 + (index >> 8));

    private static void Fill(byte* memory, ulong size, ulong seed)
    {
        for (ulong i = 0; i < size; i++)
        {
            memory[i] = PatternByte(seed, i);
        }
    }

    private static bool Holds(byte* memory, ulong size, ulong seed)
    {
        for (ulong i = 0; i < size; i++)
        {
            if (memory[i] != PatternByte(seed, i))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Thousands of random-size (8 to 2048 bytes) allocations and frees over 256 slots on the live heap.
    /// Each allocation is filled with its own pattern and checked when freed and at the end, so an
    /// overlap or a stray free-list write shows; each must be 8-byte aligned, within the block area and
    /// at least as large as asked.
    /// </summary>
    private static void Churn(TestContext test, KernelHeap<KernelPhysicalMemory, KernelTlb> heap)
    {
        ulong* address = stackalloc ulong[ChurnSlots];
        ulong* size = stackalloc ulong[ChurnSlots];
        for (int i = 0; i < ChurnSlots; i++)
        {
            address[i] = 0;
        }
        HeapStatistics before = heap.GetStatistics();
        ulong state = ChurnSeed;
        ulong allocations = 0;
        ulong frees = 0;
        ulong peakBytes = 0;
        bool allocated = true;
        bool placed = true;
        bool intact = true;
        bool freed = true;
        for (int op = 0; op < ChurnOperations; op++)
        {
            int slot = (int)(Next(ref state) % ChurnSlots);
            if (address[slot] != 0)
            {
                intact &= Holds((byte*)address[slot], size[slot], address[slot]);
                freed &= heap.Free((void*)address[slot]) == FreeStatus.Freed;
                address[slot] = 0;
                frees++;
                continue;
            }
            ulong bytes = SmallestRequest + Next(ref state) % (LargestBlockRequest - SmallestRequest + 1);
            ulong memory = (ulong)heap.Allocate(bytes);
            allocations++;
            if (memory == 0)
            {
                allocated = false;
                continue;
            }
            ulong usable = heap.UsableSize((void*)memory);
            placed &= (memory & 7) == 0 && usable >= bytes && (usable & (usable - 1)) == 0
                && memory - heap.Layout.BlockAreaStart < heap.Layout.BlockAreaSize;
            address[slot] = memory;
            size[slot] = bytes;
            Fill((byte*)memory, bytes, memory);
            ulong inUse = heap.GetStatistics().BlockBytesInUse;
            peakBytes = inUse > peakBytes ? inUse : peakBytes;
        }
        for (int slot = 0; slot < ChurnSlots; slot++)
        {
            if (address[slot] != 0)
            {
                intact &= Holds((byte*)address[slot], size[slot], address[slot]);
                freed &= heap.Free((void*)address[slot]) == FreeStatus.Freed;
                frees++;
            }
        }
        HeapStatistics after = heap.GetStatistics();
        test.Check(allocated, "churn.every_small_allocation_succeeds", "a block allocation returned null");
        // Every slot was emptied at the end, so frees equal allocations; the heap must have counted each
        // call, and the fixed seed makes the churn at least a third allocations.
        test.Check(frees == allocations && allocations >= ChurnOperations / 3
            && after.Allocations - before.Allocations == allocations && after.Frees - before.Frees == frees
            && after.FailedAllocations == before.FailedAllocations && after.BlockBytesInUse == before.BlockBytesInUse,
            "churn.heap_counts_every_allocation_and_free", "the heap's call counts or bytes in use differ from the churn's");
        test.Check(placed, "churn.blocks_are_aligned_large_enough_and_in_the_block_area", "a block was misaligned, too small or outside the block area");
        test.Check(intact, "churn.every_allocation_keeps_its_contents", "an allocation's pattern was overwritten");
        test.Check(freed, "churn.every_allocation_frees", "a free was refused");
        Console.Write("kheap: churn ");
        Console.WriteDecimal(allocations);
        Console.Write(" allocations, ");
        Console.WriteDecimal(frees);
        Console.Write(" frees, peak ");
        Console.WriteDecimal(peakBytes);
        Console.WriteLine(" block bytes in use");
    }

    /// <summary>
    /// Bad kfree pointers through <see cref="ObjectAllocator.Free(void*)"/>, the kernel's kfree: outside
    /// the heap, inside a block, inside a page allocation, a double free of a block and of pages, a
    /// misaligned pointer into a hole, and a page never allocated. Each returns its verdict, bumps exactly its counter, is remembered
    /// as the last bad free, prints a warning, and leaves the heap's figures and live data as they were.
    /// </summary>
    private static void BadFrees(TestContext test, KernelHeap<KernelPhysicalMemory, KernelTlb> heap)
    {
        byte* block = (byte*)heap.Allocate(BlockProbeSize);
        byte* pages = (byte*)heap.Allocate(PageProbePages * MemConstants.PageSize);
        byte* goneBlock = (byte*)heap.Allocate(BlockProbeSize);
        byte* gonePages = (byte*)heap.Allocate(2 * MemConstants.PageSize);
        if (block == null || pages == null || goneBlock == null || gonePages == null)
        {
            test.Check(false, "bad_free.probe_allocations_succeed", "kmalloc failed");
            return;
        }
        Fill(block, BlockProbeSize, (ulong)block);
        Fill(pages, PageProbePages * MemConstants.PageSize, (ulong)pages);
        heap.Free(goneBlock);
        heap.Free(gonePages);

        test.Check(ObjectAllocator.Free((void*)null) == FreeStatus.NullPointer, "bad_free.null_is_accepted_as_nothing_to_do", "kfree(null) did not report NullPointer");
        RefusedFree(test, heap, (void*)PhysicalMemory.ToVirtual(MemConstants.MiB), FreeStatus.OutsideHeap, "bad_free.pointer_outside_the_heap_is_refused");
        RefusedFree(test, heap, block + 8, FreeStatus.InsideAllocation, "bad_free.pointer_inside_a_block_is_refused");
        RefusedFree(test, heap, pages + MemConstants.PageSize, FreeStatus.InsideAllocation, "bad_free.pointer_inside_a_page_allocation_is_refused");
        RefusedFree(test, heap, goneBlock, FreeStatus.DoubleFree, "bad_free.double_free_of_a_block_is_refused");
        RefusedFree(test, heap, gonePages, FreeStatus.DoubleFree, "bad_free.double_free_of_pages_is_refused");
        RefusedFree(test, heap, gonePages + 8, FreeStatus.Misaligned, "bad_free.misaligned_pointer_is_refused");
        RefusedFree(test, heap, (void*)(heap.GetStatistics().Limit - MemConstants.PageSize), FreeStatus.NeverAllocated,
            "bad_free.page_never_allocated_is_named_so");

        test.Check(Holds(block, BlockProbeSize, (ulong)block) && Holds(pages, PageProbePages * MemConstants.PageSize, (ulong)pages),
            "bad_free.live_allocations_stay_intact", "a refused free changed a live allocation's contents");
        test.Check(heap.Free(block) == FreeStatus.Freed && heap.Free(pages) == FreeStatus.Freed, "bad_free.live_allocations_still_free_normally", "a live allocation could not be freed after the bad frees");
    }

    private static void RefusedFree(TestContext test, KernelHeap<KernelPhysicalMemory, KernelTlb> heap, void* pointer, FreeStatus expected, string name)
    {
        HeapStatistics before = heap.GetStatistics();
        ulong objectFrees = ObjectAllocator.Frees;
        ulong free = MemoryManager.Frames.FreeFrames;
        FreeStatus status = ObjectAllocator.Free(pointer);
        HeapStatistics after = heap.GetStatistics();
        bool counted = after.BadFrees == before.BadFrees + 1
            && after.OutsideHeapFrees == before.OutsideHeapFrees + (expected == FreeStatus.OutsideHeap ? 1UL : 0)
            && after.InsideAllocationFrees == before.InsideAllocationFrees + (expected == FreeStatus.InsideAllocation ? 1UL : 0)
            && after.DoubleFrees == before.DoubleFrees + (expected == FreeStatus.DoubleFree ? 1UL : 0)
            && after.MisalignedFrees == before.MisalignedFrees + (expected == FreeStatus.Misaligned ? 1UL : 0)
            && after.NeverAllocatedFrees == before.NeverAllocatedFrees + (expected == FreeStatus.NeverAllocated ? 1UL : 0)
            && after.NotAllocatedFrees == before.NotAllocatedFrees + (expected == FreeStatus.NotAllocated ? 1UL : 0)
            && heap.LastBadFree == expected && heap.LastBadFreeAddress == (ulong)pointer;
        bool unchanged = after.BlockBytesInUse == before.BlockBytesInUse && after.BlockBytesFree == before.BlockBytesFree
            && after.BlockPages == before.BlockPages && after.PageBytesInUse == before.PageBytesInUse
            && after.PageBytesFree == before.PageBytesFree && after.PagesInUse == before.PagesInUse
            && after.HoleCount == before.HoleCount && after.LargestHoleBytes == before.LargestHoleBytes
            && after.Break == before.Break && after.Frames == before.Frames && after.Frees == before.Frees
            && ObjectAllocator.Frees == objectFrees && MemoryManager.Frames.FreeFrames == free;
        test.Check(status == expected && counted && unchanged, name, "wrong verdict, wrong counter, or the heap changed");
    }

    /// <summary>
    /// With scrubbing switched on (it is off by default and is restored afterwards), fresh memory reads
    /// 0xAB and freed memory 0xDE: a freed block except its two-byte free-list link, and a freed page
    /// allocation entirely (read through the direct map, since its pages are unmapped by then).
    /// </summary>
    private static void Scrubbing(TestContext test, KernelHeap<KernelPhysicalMemory, KernelTlb> heap)
    {
        bool wasOn = heap.Scrub;
        heap.Scrub = true;

        byte* block = (byte*)heap.Allocate(ScrubBlockSize);
        byte* pages = (byte*)heap.Allocate(ScrubPages * MemConstants.PageSize - 1);
        if (block == null || pages == null)
        {
            heap.Scrub = wasOn;
            test.Check(false, "scrub.allocations_succeed", "kmalloc failed");
            return;
        }
        ulong blockSize = heap.UsableSize(block);
        ulong pageBytes = heap.UsableSize(pages);
        bool freshBlock = AllBytes(block, blockSize, HeapScrub.OnAllocation);
        bool freshPages = pageBytes == ScrubPages * MemConstants.PageSize && AllBytes(pages, pageBytes, HeapScrub.OnAllocation);
        test.Check(freshBlock && freshPages, "scrub.new_allocations_read_0xAB", "fresh memory was not filled with 0xAB");

        // The frames stay reachable through the direct map after the free; nothing allocates in between.
        ulong blockFrame = heap.PhysicalAddress((ulong)block);
        ulong* pageFrames = stackalloc ulong[(int)ScrubPages];
        for (ulong i = 0; i < ScrubPages; i++)
        {
            pageFrames[i] = heap.PhysicalAddress((ulong)pages + i * MemConstants.PageSize);
        }
        HeapMemory.Fill(block, blockSize, FillPattern);
        HeapMemory.Fill(pages, pageBytes, FillPattern);
        heap.Free(block);
        heap.Free(pages);
        const ulong FreeListLink = sizeof(ushort);
        bool freedBlock = AllBytes((byte*)PhysicalMemory.ToVirtual(blockFrame) + FreeListLink, blockSize - FreeListLink, HeapScrub.OnFree);
        bool freedPages = true;
        for (ulong i = 0; i < ScrubPages; i++)
        {
            freedPages &= pageFrames[i] != 0 && AllBytes((byte*)PhysicalMemory.ToVirtual(pageFrames[i]), MemConstants.PageSize, HeapScrub.OnFree);
        }
        heap.Scrub = wasOn;
        test.Check(freedBlock, "scrub.freed_block_reads_0xDE_past_its_link", "a freed block was not filled with 0xDE");
        test.Check(freedPages, "scrub.freed_pages_read_0xDE_in_their_frames", "a freed page's frame was not filled with 0xDE");
    }

    private static bool AllBytes(byte* memory, ulong size, byte value)
    {
        for (ulong i = 0; i < size; i++)
        {
            if (memory[i] != value)
            {
                return false;
            }
        }
        return true;
    }
}
