using Kernel.Mem;
using Kernel.Mem.Heap;
using Xunit;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// A 64-page custom-fit page allocator over a backing that records commits, for the page allocator's unit
/// tests. The allocator never touches its pages, so its area needs no host memory behind it.
/// </summary>
public abstract unsafe class PageAllocatorFixture : System.IDisposable
{
    protected const ulong AreaStart = 0x0000_7000_0000_0000;
    protected const uint AreaPages = 64;
    protected const ulong PageSize = MemConstants.PageSize;

    private readonly HostRange _metadata = new HostRange(PageAllocator<RecordingBacking>.MetadataBytes(AreaPages));

    protected PageAllocatorFixture()
    {
        Log = new RecordingBacking.Log();
        Pages = new PageAllocator<RecordingBacking>(
            new RecordingBacking(Log), AreaStart, AreaPages, (byte*)_metadata.Start, _metadata.Size);
    }

    protected RecordingBacking.Log Log { get; }

    protected PageAllocator<RecordingBacking> Pages { get; }

    public void Dispose() => _metadata.Dispose();

    protected static ulong At(ulong page) => AreaStart + page * PageSize;

    /// <summary>Allocates runs of the given page counts one after another from the start of the area.</summary>
    protected ulong[] AllocateRow(params ulong[] counts)
    {
        var addresses = new ulong[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            addresses[i] = Pages.Allocate(counts[i]);
            Assert.NotEqual(0UL, addresses[i]);
        }
        return addresses;
    }
}
