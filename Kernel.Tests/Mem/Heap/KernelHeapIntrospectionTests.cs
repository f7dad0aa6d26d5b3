using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>What the kernel heap tells <c>meminfo</c> and <c>kheap</c>: block classes, holes, page allocations.</summary>
public sealed unsafe class KernelHeapIntrospectionTests : IDisposable
{
    private const ulong PageSize = MemConstants.PageSize;

    private readonly HeapMachine _machine = new HeapMachine();

    public void Dispose() => _machine.Dispose();

    private KernelHeap<EmulatedRam.Accessor, RecordingTlb> Heap => _machine.Heap;

    private List<(ulong Address, ulong Bytes)> Holes()
    {
        var holes = new List<(ulong, ulong)>();
        ulong cursor = 0;
        while (Heap.NextHole(ref cursor, out ulong address, out ulong bytes))
        {
            holes.Add((address, bytes));
        }
        return holes;
    }

    private List<(ulong Address, ulong Bytes)> PageAllocations()
    {
        var allocations = new List<(ulong, ulong)>();
        ulong cursor = 0;
        while (Heap.NextPageAllocation(ref cursor, out ulong address, out ulong bytes))
        {
            allocations.Add((address, bytes));
        }
        return allocations;
    }

    [Fact]
    public void The_heap_has_one_class_per_power_of_two_from_8_bytes_to_2_KiB()
    {
        Assert.Equal(BlockAllocator<KernelHeapBacking<EmulatedRam.Accessor, RecordingTlb>>.ClassCount,
            KernelHeap<EmulatedRam.Accessor, RecordingTlb>.BlockClassCount);
        Assert.Equal(8UL, Heap.GetClassStatistics(0).BlockSize);
        Assert.Equal(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MaximumBlockSize,
            Heap.GetClassStatistics(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.BlockClassCount - 1).BlockSize);
        Assert.Equal(0UL, Heap.GetClassStatistics(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.BlockClassCount).BlockSize);
    }

    [Fact]
    public void Small_allocations_show_in_their_class_and_the_classes_add_up_to_the_heap_figures()
    {
        void* a = Heap.Allocate(24);
        Heap.Allocate(32);
        Heap.Allocate(1000);

        Heap.Free(a);

        BlockClassStatistics c32 = Heap.GetClassStatistics(BlockAllocator<KernelHeapBacking<EmulatedRam.Accessor, RecordingTlb>>.ClassOf(32));
        BlockClassStatistics c1024 = Heap.GetClassStatistics(BlockAllocator<KernelHeapBacking<EmulatedRam.Accessor, RecordingTlb>>.ClassOf(1024));
        Assert.Equal(1UL, c32.Pages);
        Assert.Equal(1UL, c32.BlocksInUse);
        Assert.Equal(127UL, c32.FreeBlocks);
        Assert.Equal(1UL, c1024.BlocksInUse);
        Assert.Equal(3UL, c1024.FreeBlocks);
        HeapStatistics stats = Heap.GetStatistics();
        ulong pages = 0;
        ulong bytesFree = 0;
        for (int i = 0; i < KernelHeap<EmulatedRam.Accessor, RecordingTlb>.BlockClassCount; i++)
        {
            pages += Heap.GetClassStatistics(i).Pages;
            bytesFree += Heap.GetClassStatistics(i).BytesFree;
        }
        Assert.Equal(stats.BlockPages, pages);
        Assert.Equal(stats.BlockBytesFree, bytesFree);
    }

    [Fact]
    public void Holes_and_page_allocations_are_walked_in_the_page_area_in_address_order()
    {
        void* small = Heap.Allocate(100);
        void* a = Heap.Allocate(3 * PageSize);
        void* b = Heap.Allocate(PageSize + 1);
        void* c = Heap.Allocate(5 * PageSize);
        void* d = Heap.Allocate(PageSize);

        Heap.Free(a);
        Heap.Free(c);

        Assert.Equal(new[] { ((ulong)a, 3 * PageSize), ((ulong)c, 5 * PageSize) }, Holes());
        Assert.Equal(new[] { ((ulong)b, 2 * PageSize), ((ulong)d, PageSize) }, PageAllocations());
        Assert.Equal(_machine.Layout.PageAreaStart, (ulong)a);
        Assert.DoesNotContain(PageAllocations(), x => x.Address == (ulong)small);
        HeapStatistics stats = Heap.GetStatistics();
        Assert.Equal(stats.HoleCount, (ulong)Holes().Count);
        Assert.Equal(8 * PageSize, stats.PageBytesFree);
    }

    [Fact]
    public void An_empty_heap_walks_nothing()
    {
        Assert.Empty(Holes());
        Assert.Empty(PageAllocations());
    }
}
