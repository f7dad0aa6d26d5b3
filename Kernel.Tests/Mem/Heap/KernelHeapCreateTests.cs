using System;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Tests.Emulation;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// <see cref="KernelHeap{TMem, TTlb}.Create"/> checks the memory it is given for its metadata before it
/// writes a byte: too short, misaligned or inside the heap's range is refused with a status, not overrun.
/// </summary>
public sealed unsafe class KernelHeapCreateTests : IDisposable
{
    private const byte Untouched = 0xA5;

    // Room well past anything a heap over the small layout could write, so an overrun lands here, not in the host's heap.
    private const ulong SentinelBytes = 64 * MemConstants.KiB;

    private readonly HeapMachine _machine = new HeapMachine();
    private readonly HostRange _range = new HostRange(1 * MemConstants.MiB);
    private readonly HostRange _metadata = new HostRange(SentinelBytes);

    public KernelHeapCreateTests()
    {
        new Span<byte>((void*)_metadata.Start, (int)SentinelBytes).Fill(Untouched);
    }

    public void Dispose()
    {
        _metadata.Dispose();
        _range.Dispose();
        _machine.Dispose();
    }

    private KernelHeapLayout SmallLayout => new KernelHeapLayout(_range.Start, _range.Size, 64 * MemConstants.KiB);

    private KernelHeapCreateStatus Create(KernelHeapLayout layout, byte* metadata, ulong length, out KernelHeap<EmulatedRam.Accessor, RecordingTlb> heap)
    {
        return KernelHeap<EmulatedRam.Accessor, RecordingTlb>.Create(_machine.Mapper, _machine.Frames, layout, metadata, length, out heap);
    }

    private void AssertMetadataUntouched()
    {
        ReadOnlySpan<byte> bytes = new ReadOnlySpan<byte>((void*)_metadata.Start, (int)SentinelBytes);
        Assert.True(bytes.IndexOfAnyExcept(Untouched) < 0, $"byte {bytes.IndexOfAnyExcept(Untouched)} of the metadata memory was written");
    }

    [Fact]
    public void Sixty_four_bytes_of_metadata_are_refused_and_nothing_is_written()
    {
        Assert.True(KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(SmallLayout) > 64);

        Assert.Equal(KernelHeapCreateStatus.MetadataTooSmall, Create(SmallLayout, (byte*)_metadata.Start, 64, out var heap));

        Assert.Null(heap);
        AssertMetadataUntouched();
    }

    [Fact]
    public void Metadata_one_byte_short_of_what_the_layout_needs_is_refused()
    {
        ulong needed = KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(SmallLayout);

        Assert.Equal(KernelHeapCreateStatus.MetadataTooSmall, Create(SmallLayout, (byte*)_metadata.Start, needed - 1, out var heap));

        Assert.Null(heap);
        AssertMetadataUntouched();
    }

    [Fact]
    public void Null_metadata_is_refused()
    {
        ulong needed = KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(SmallLayout);

        Assert.Equal(KernelHeapCreateStatus.MetadataTooSmall, Create(SmallLayout, null, needed, out var heap));
        Assert.Null(heap);
    }

    [Fact]
    public void Misaligned_metadata_is_refused()
    {
        ulong needed = KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(SmallLayout);

        Assert.Equal(KernelHeapCreateStatus.MisalignedMetadata, Create(SmallLayout, (byte*)_metadata.Start + 4, needed, out var heap));

        Assert.Null(heap);
        AssertMetadataUntouched();
    }

    [Fact]
    public void An_invalid_layout_is_refused()
    {
        var empty = new KernelHeapLayout(_range.Start, _range.Size, 0);

        Assert.Equal(KernelHeapCreateStatus.InvalidLayout, Create(empty, (byte*)_metadata.Start, SentinelBytes, out var heap));

        Assert.Null(heap);
        AssertMetadataUntouched();
    }

    [Fact]
    public void Metadata_inside_the_heap_range_is_refused()
    {
        ulong needed = KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(SmallLayout);
        byte* inside = (byte*)SmallLayout.End - MemConstants.PageSize;

        Assert.Equal(KernelHeapCreateStatus.MetadataInsideRange, Create(SmallLayout, inside, needed, out var heap));
        Assert.Null(heap);
    }

    [Fact]
    public void Exactly_the_metadata_the_layout_needs_makes_a_working_heap()
    {
        ulong needed = KernelHeap<EmulatedRam.Accessor, RecordingTlb>.MetadataBytes(SmallLayout);

        Assert.Equal(KernelHeapCreateStatus.Ok, Create(SmallLayout, (byte*)_metadata.Start, needed, out var heap));

        void* block = heap.Allocate(100);
        Assert.True(block != null);
        Assert.Equal(FreeStatus.Freed, heap.Free(block));
        Assert.Equal(needed, heap.GetStatistics().MetadataBytes);
        Assert.Equal(Untouched, ((byte*)_metadata.Start)[needed]);
    }
}
