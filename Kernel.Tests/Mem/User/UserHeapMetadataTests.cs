using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.User;
using Kernel.Tests.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// A program's heap keeps its metadata (about 3 MiB for the user layout) in pages that are backed on first
/// touch, so it must be valid all-zero and written only where it is used: a heap that is made, then serves a
/// first block and a first page allocation, may dirty a handful of metadata pages, not hundreds.
/// </summary>
public sealed unsafe class UserHeapMetadataTests : IDisposable
{
    private const ulong Page = MemConstants.PageSize;

    // What a barely used heap may cost in metadata frames: the block allocator's record of one page and its
    // class, the page allocator's tags at the start of its area and at the break, and the hole index's few words.
    private const int HandfulOfPages = 6;

    private readonly HostRange _heap = new HostRange(UserLayout.HeapEnd - UserLayout.HeapBase);
    private readonly HostRange _metadata;
    private readonly RecordingBacking.Log _log = new RecordingBacking.Log();
    private readonly HeapAllocator<RecordingBacking> _allocator;

    public UserHeapMetadataTests()
    {
        ulong bytes = HeapAllocator<RecordingBacking>.MetadataBytes(UserLayout.BlockAreaPages, UserLayout.PageAreaPages);
        Assert.True(bytes <= UserLayout.HeapMetadataSize, $"{bytes} bytes of metadata do not fit the runtime region");
        _metadata = new HostRange(bytes);
        _allocator = new HeapAllocator<RecordingBacking>(new RecordingBacking(_log), _heap.Start, UserLayout.BlockAreaPages,
            PageAreaStart, UserLayout.PageAreaPages, (byte*)_metadata.Start, _metadata.Size);
    }

    public void Dispose()
    {
        _heap.Dispose();
        _metadata.Dispose();
    }

    private ulong PageAreaStart => _heap.Start + (UserLayout.PageAreaBase - UserLayout.HeapBase);

    private int MetadataPages => (int)((_metadata.Size + Page - 1) / Page);

    /// <summary>The metadata pages holding any non-zero byte: those a lazily backed heap would have paid a frame for.</summary>
    private List<int> DirtyPages()
    {
        var dirty = new List<int>();
        byte* start = (byte*)_metadata.Start;
        for (int page = 0; page < MetadataPages; page++)
        {
            ulong length = Math.Min(Page, _metadata.Size - (ulong)page * Page);
            if (new ReadOnlySpan<byte>(start + (ulong)page * Page, (int)length).IndexOfAnyExcept((byte)0) >= 0)
            {
                dirty.Add(page);
            }
        }
        return dirty;
    }

    [Fact]
    public void Making_the_heap_writes_at_most_two_metadata_pages()
    {
        List<int> dirty = DirtyPages();
        Assert.True(dirty.Count <= 2, $"dirty metadata pages: {string.Join(", ", dirty)} of {MetadataPages}");
        Assert.True(MetadataPages > 700, $"only {MetadataPages} metadata pages: not the user layout's");
        Assert.Empty(_log.Committed);
    }

    [Fact]
    public void A_first_block_and_a_first_page_allocation_dirty_a_handful_of_metadata_pages()
    {
        void* block = _allocator.Allocate(64);
        int afterBlock = DirtyPages().Count;
        void* pages = _allocator.Allocate(16 * MemConstants.KiB);
        List<int> dirty = DirtyPages();

        Assert.Equal(_heap.Start, (ulong)block);
        Assert.Equal(PageAreaStart, (ulong)pages);
        Assert.True(afterBlock <= 4, $"a first 64-byte block left {afterBlock} metadata pages dirty");
        Assert.True(dirty.Count <= HandfulOfPages, $"dirty metadata pages: {string.Join(", ", dirty)} of {MetadataPages}");
    }

    [Fact]
    public void One_allocation_of_every_block_class_and_a_few_page_allocations_stay_within_a_handful()
    {
        for (ulong size = 8; size <= HeapAllocator<RecordingBacking>.MaximumBlockSize; size *= 2)
        {
            Assert.True(_allocator.Allocate(size) != null);
        }
        var large = new List<IntPtr>();
        foreach (ulong size in new ulong[] { 3000, 16 * MemConstants.KiB, MemConstants.MiB, 100 * MemConstants.MiB })
        {
            void* memory = _allocator.Allocate(size);
            Assert.True(memory != null);
            large.Add((IntPtr)memory);
        }
        // A hole in the middle and the break moving down again use the hole index.
        Assert.Equal(FreeStatus.Freed, _allocator.Free((void*)large[1]));
        Assert.Equal(FreeStatus.Freed, _allocator.Free((void*)large[3]));

        List<int> dirty = DirtyPages();

        Assert.True(dirty.Count <= 2 * HandfulOfPages, $"dirty metadata pages: {string.Join(", ", dirty)} of {MetadataPages}");
    }

    [Fact]
    public void Freeing_everything_leaves_a_heap_that_serves_the_same_addresses_again()
    {
        void* block = _allocator.Allocate(100);
        void* pages = _allocator.Allocate(5 * Page);
        Assert.Equal(FreeStatus.Freed, _allocator.Free(block));
        Assert.Equal(FreeStatus.Freed, _allocator.Free(pages));

        Assert.Equal(PageAreaStart, _allocator.Break);
        Assert.True(pages == _allocator.Allocate(5 * Page));
        Assert.True(block == _allocator.Allocate(100));
    }
}
