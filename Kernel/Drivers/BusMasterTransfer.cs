using Kernel.Memory;

namespace Kernel.Drivers;

/// <summary>
/// The memory of bus-master IDE transfers: one physically contiguous buffer below 4 GiB that holds the
/// largest request, and the physical region descriptor table that describes as much of it as a request
/// needs (SFF-8038i rev. 1.0, "Physical Region Descriptor"). Both are taken once, at first use, and kept
/// for the controller's lifetime, so a read allocates nothing.
/// </summary>
/// <remarks>
/// Why this shape: a region may not cross a 64 KiB boundary, and asking the DMA allocator for a buffer
/// with a 64 KiB boundary (or alignment) makes it reserve a bucket larger than the boundary window, since
/// the bucket's own headers do not fit beside a whole window. Splitting one unconstrained buffer at the
/// 64 KiB boundaries of its physical addresses costs at most one more descriptor and lets the buffer and
/// the table share one bucket of 33 pages. The pebbles are persistent: they are never freed, and their
/// bucket type keeps transient allocations from sharing their bucket.
/// </remarks>
internal sealed unsafe class BusMasterTransfer
{
    /// <summary>The largest request: READ DMA's 256 sectors of 512 bytes.</summary>
    public const ulong MaxBytes = 256 * 512;

    /// <summary>A buffer of <see cref="MaxBytes"/> at any word-aligned address spans at most three 64 KiB windows.</summary>
    public const int MaxRegions = (int)(MaxBytes / PrdEntry.MaxRegionBytes) + 1;

    /// <summary>The descriptor table's size in bytes.</summary>
    public const ulong TableBytes = MaxRegions * PrdEntry.EntryBytes;

    // The descriptor table must be dword aligned and must not cross a 64 KiB boundary (SFF-8038i, the
    // descriptor table pointer register); the table pointer holds bits 31-2 only.
    private const ulong TableAlignment = 4;
    private const ulong TableBoundary = 64 * 1024;

    private DmaBuffer _buffer;
    private DmaBuffer _table;
    private int _regionCount;
    private ulong _bytes;

    public bool IsAllocated => _table.IsValid;

    /// <summary>Physical address of the descriptor table, for the bus master's table pointer.</summary>
    public ulong TablePhysical => _table.Physical;

    /// <summary>The whole transfer buffer (<see cref="MaxBytes"/>); the device fills it from the start.</summary>
    public DmaBuffer Buffer => _buffer;

    /// <summary>Descriptors written by the last <see cref="Prepare"/>.</summary>
    public int RegionCount => _regionCount;

    /// <summary>Bytes the last <see cref="Prepare"/> described (0 before the first).</summary>
    public ulong Bytes => _bytes;

    /// <summary>Physical base of descriptor <paramref name="index"/>.</summary>
    public ulong RegionPhysical(int index) => ((PrdEntry*)_table.Virtual)[index].PhysicalBase;

    /// <summary>Byte count of descriptor <paramref name="index"/>, the encoded 0 read as 64 KiB.</summary>
    public ulong RegionBytes(int index) => PrdEntry.DecodeByteCount(((PrdEntry*)_table.Virtual)[index].ByteCount);

    /// <summary>
    /// Takes the buffer and the table below 4 GiB, unless already held. False, holding nothing, when memory
    /// below 4 GiB runs out. The buffer first: the table then fits in the tail of the buffer's bucket.
    /// </summary>
    public bool Allocate()
    {
        if (IsAllocated)
        {
            return true;
        }
        _buffer = DmaBuffers.AllocatePersistent(MaxBytes, 0, 0, DmaConstraint.Below4GiB, "ide buffer");
        if (!_buffer.IsValid)
        {
            return false;
        }
        _table = DmaBuffers.AllocatePersistent(TableBytes, TableAlignment, TableBoundary, DmaConstraint.Below4GiB, "ide prd table");
        if (!_table.IsValid)
        {
            DmaBuffers.Free(_buffer);
            _buffer = default;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Describes the first <paramref name="bytes"/> of the buffer (even, 1 to <see cref="MaxBytes"/>): one
    /// descriptor per 64 KiB window of physical addresses the range touches, the last marked end of table.
    /// False, changing nothing, when the size is unusable or nothing is allocated.
    /// </summary>
    public bool Prepare(ulong bytes)
    {
        if (!IsAllocated || bytes == 0 || bytes > MaxBytes || (bytes & 1) != 0)
        {
            return false;
        }
        PrdEntry* entries = (PrdEntry*)_table.Virtual;
        ulong physical = _buffer.Physical;
        ulong left = bytes;
        int count = 0;
        while (left != 0)
        {
            // Up to the next 64 KiB boundary, so no region crosses one; a full window is 64 KiB exactly.
            ulong window = PrdEntry.MaxRegionBytes - (physical & (PrdEntry.MaxRegionBytes - 1));
            ulong size = left < window ? left : window;
            entries[count].PhysicalBase = (uint)physical;
            entries[count].ByteCount = PrdEntry.EncodeByteCount(size);
            entries[count].Flags = left == size ? PrdEntry.EndOfTable : (ushort)0;
            count++;
            physical += size;
            left -= size;
        }
        _regionCount = count;
        _bytes = bytes;
        return true;
    }
}
