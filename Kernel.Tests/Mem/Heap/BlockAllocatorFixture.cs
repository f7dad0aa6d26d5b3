using Kernel.Mem;
using Kernel.Mem.Heap;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// A 16-page block allocator over real host memory (it writes free-list links into its blocks) and a
/// backing that records page commits, for the block allocator's unit tests.
/// </summary>
public abstract unsafe class BlockAllocatorFixture : System.IDisposable
{
    protected const uint AreaPages = 16;
    protected const ulong PageSize = MemConstants.PageSize;

    private readonly HostRange _area = new HostRange(AreaPages * MemConstants.PageSize);
    private readonly HostRange _metadata = new HostRange(BlockAllocator<RecordingBacking>.MetadataBytes(AreaPages));

    protected BlockAllocatorFixture()
    {
        Log = new RecordingBacking.Log();
        Blocks = new BlockAllocator<RecordingBacking>(
            new RecordingBacking(Log), _area.Start, AreaPages, (byte*)_metadata.Start, _metadata.Size);
    }

    protected RecordingBacking.Log Log { get; }

    protected BlockAllocator<RecordingBacking> Blocks { get; }

    protected ulong AreaStart => _area.Start;

    protected ulong AreaEnd => _area.End;

    public void Dispose()
    {
        _area.Dispose();
        _metadata.Dispose();
    }
}
