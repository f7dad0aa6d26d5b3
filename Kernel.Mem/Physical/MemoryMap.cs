namespace Kernel.Mem.Physical;

/// <summary>
/// The machine's physical memory as the kernel will use it: the firmware's memory-map entries
/// (multiboot2 type 6 tag), sanitized the way Linux sanitizes the e820 map, minus the ranges the kernel
/// carves out for itself.
/// </summary>
/// <remarks>
/// <para>
/// The map keeps what it was told (firmware entries and carve-outs, in fixed-capacity arrays allocated
/// once by the constructor) and rebuilds the resulting region list from them after every change. Because
/// the result is recomputed from scratch, the order in which entries and carve-outs arrive never matters,
/// and a change that would overflow the capacity is rolled back, leaving the map as it was.
/// </para>
/// <para>
/// Invariants of the region list: sorted by address; no two regions overlap; no region is empty; no two
/// adjacent regions have the same kind; every usable region starts and ends on a page boundary.
/// Addresses the firmware did not describe appear in no region.
/// </para>
/// </remarks>
public sealed class MemoryMap
{
    public const int DefaultCapacity = 128;

    /// <summary>
    /// x86-64 physical addresses have at most 52 bits (MAXPHYADDR, Intel SDM Vol. 3A, 4.1.4); anything
    /// an entry claims above this is dropped, which also keeps every end address free of overflow.
    /// </summary>
    public const ulong PhysicalAddressLimit = Paging.PageTableEntry.PhysicalAddressLimit;

    /// <summary>The end of the first MiB, which <see cref="ReserveFirstMiB"/> takes.</summary>
    public const ulong LowMemoryEnd = MemConstants.MiB;

    private readonly MemoryRegion[] _firmwareEntries;
    private int _firmwareEntryCount;
    private readonly MemoryRegion[] _carveOuts;
    private int _carveOutCount;

    // The region list is painted into the scratch array and the two are then swapped, so a rebuild
    // allocates nothing and a failed one leaves the list untouched until the rollback rebuild.
    private MemoryRegion[] _regions;
    private int _regionCount;
    private MemoryRegion[] _scratch;

    private ulong _usableBytes;
    private ulong _reservedBytes;

    public MemoryMap()
        : this(DefaultCapacity)
    {
    }

    /// <param name="capacity">
    /// How many firmware entries, how many carve-outs, and how many resulting regions the map can hold
    /// (each separately).
    /// </param>
    public MemoryMap(int capacity)
    {
        if (capacity < 1)
        {
            capacity = 1;
        }
        _firmwareEntries = new MemoryRegion[capacity];
        _carveOuts = new MemoryRegion[capacity];
        _regions = new MemoryRegion[capacity];
        _scratch = new MemoryRegion[capacity];
    }

    public int Capacity => _regions.Length;

    /// <summary>How many regions the sanitized map has.</summary>
    public int Count => _regionCount;

    public int FirmwareEntryCount => _firmwareEntryCount;

    public int CarveOutCount => _carveOutCount;

    /// <summary>The region at <paramref name="index"/> (0 to <see cref="Count"/> - 1), in address order; an empty region outside that range.</summary>
    public MemoryRegion this[int index] => (uint)index < (uint)_regionCount ? _regions[index] : default;

    /// <summary>Bytes the frame allocator may use: the sum of the usable regions.</summary>
    public ulong UsableBytes => _usableBytes;

    /// <summary>Bytes described by the map that are not usable (firmware kinds, carve-outs, partial pages).</summary>
    public ulong ReservedBytes => _reservedBytes;

    /// <summary>The sum of the regions of one kind.</summary>
    public ulong BytesOf(MemoryRegionKind kind)
    {
        ulong total = 0;
        for (int i = 0; i < _regionCount; i++)
        {
            if (_regions[i].Kind == kind)
            {
                total += _regions[i].Length;
            }
        }
        return total;
    }

    /// <summary>The kind of the byte at <paramref name="physical"/>, or false when no region describes it.</summary>
    public bool TryGetKind(ulong physical, out MemoryRegionKind kind)
    {
        for (int i = 0; i < _regionCount; i++)
        {
            if (physical >= _regions[i].Base && physical < _regions[i].End)
            {
                kind = _regions[i].Kind;
                return true;
            }
        }
        kind = default;
        return false;
    }

    /// <summary>
    /// Adds one multiboot2 memory-map entry. Unknown types count as reserved; zero-length entries and
    /// the part of an entry above <see cref="PhysicalAddressLimit"/> are dropped. Where entries overlap,
    /// the more restrictive kind wins (see <see cref="Restrictiveness"/>).
    /// </summary>
    public MemoryMapStatus AddFirmwareEntry(ulong @base, ulong length, uint multibootType)
    {
        if (!TryClip(@base, length, out ulong end))
        {
            return MemoryMapStatus.Ok;
        }
        if (_firmwareEntryCount == _firmwareEntries.Length)
        {
            return MemoryMapStatus.Full;
        }
        _firmwareEntries[_firmwareEntryCount++] = new MemoryRegion(@base, end, KindOfMultibootType(multibootType));
        if (!Rebuild())
        {
            _firmwareEntryCount--;
            Rebuild();
            return MemoryMapStatus.Full;
        }
        return MemoryMapStatus.Ok;
    }

    /// <summary>
    /// Takes a range out of usable memory and labels it. The range is widened to whole pages, since a
    /// partly used page cannot be handed out. Only usable memory is relabelled: firmware kinds keep
    /// their kind, and where carve-outs overlap the one added first keeps its label.
    /// </summary>
    /// <param name="kind">A carve-out kind (<see cref="MemoryRegionKind.LowMemory"/> or later).</param>
    public MemoryMapStatus Reserve(ulong @base, ulong length, MemoryRegionKind kind)
    {
        if (kind < MemoryRegionKind.LowMemory || kind > MemoryRegionKind.FrameMetadata)
        {
            return MemoryMapStatus.InvalidKind;
        }
        if (!TryClip(@base, length, out ulong end))
        {
            return MemoryMapStatus.Ok;
        }
        if (_carveOutCount == _carveOuts.Length)
        {
            return MemoryMapStatus.Full;
        }
        ulong pageBase = MemConstants.AlignDown(@base, MemConstants.PageSize);
        ulong pageEnd = MemConstants.AlignUp(end, MemConstants.PageSize);
        _carveOuts[_carveOutCount++] = new MemoryRegion(pageBase, pageEnd, kind);
        if (!Rebuild())
        {
            _carveOutCount--;
            Rebuild();
            return MemoryMapStatus.Full;
        }
        return MemoryMapStatus.Ok;
    }

    /// <summary>Carves out the first MiB as <see cref="MemoryRegionKind.LowMemory"/>.</summary>
    public MemoryMapStatus ReserveFirstMiB() => Reserve(0, LowMemoryEnd, MemoryRegionKind.LowMemory);

    /// <summary>Multiboot2 types 1 to 5 map onto the same kinds; anything else must not be used.</summary>
    public static MemoryRegionKind KindOfMultibootType(uint multibootType)
    {
        if (multibootType >= (uint)MemoryRegionKind.Usable && multibootType <= (uint)MemoryRegionKind.BadRam)
        {
            return (MemoryRegionKind)multibootType;
        }
        return MemoryRegionKind.Reserved;
    }

    /// <summary>
    /// How restrictive a firmware kind is; where firmware entries overlap, the higher rank wins. Unlike
    /// Linux, which lets the numerically larger e820 type win, "reserved" outranks both ACPI kinds here:
    /// if any entry says hands off, the kernel never reclaims the range.
    /// </summary>
    public static int Restrictiveness(MemoryRegionKind kind)
    {
        switch (kind)
        {
            case MemoryRegionKind.Usable:
                return 0;
            case MemoryRegionKind.AcpiReclaimable:
                return 1;
            case MemoryRegionKind.AcpiNvs:
                return 2;
            case MemoryRegionKind.Reserved:
                return 3;
            default:
                return 4;
        }
    }

    private static bool TryClip(ulong @base, ulong length, out ulong end)
    {
        if (length == 0 || @base >= PhysicalAddressLimit)
        {
            end = 0;
            return false;
        }
        end = length > PhysicalAddressLimit - @base ? PhysicalAddressLimit : @base + length;
        return true;
    }

    /// <summary>Recomputes the region list from the firmware entries and carve-outs; false when it does not fit.</summary>
    private bool Rebuild()
    {
        _regionCount = 0;
        for (int i = 0; i < _firmwareEntryCount; i++)
        {
            if (!Paint(_firmwareEntries[i], isCarveOut: false))
            {
                return false;
            }
        }
        for (int i = 0; i < _carveOutCount; i++)
        {
            if (!Paint(_carveOuts[i], isCarveOut: true))
            {
                return false;
            }
        }
        if (!TrimUsableToPages())
        {
            return false;
        }

        _usableBytes = 0;
        _reservedBytes = 0;
        for (int i = 0; i < _regionCount; i++)
        {
            if (_regions[i].IsUsable)
            {
                _usableBytes += _regions[i].Length;
            }
            else
            {
                _reservedBytes += _regions[i].Length;
            }
        }
        return true;
    }

    /// <summary>
    /// Lays <paramref name="range"/> over the current regions. A firmware entry also fills the holes it
    /// covers; where it overlaps a region, the more restrictive kind stays. A carve-out relabels only the
    /// usable parts it covers.
    /// </summary>
    private bool Paint(MemoryRegion range, bool isCarveOut)
    {
        int count = 0;
        // Start of the part of the range not yet emitted, for filling holes between regions.
        ulong cursor = range.Base;
        for (int i = 0; i < _regionCount; i++)
        {
            MemoryRegion region = _regions[i];
            if (!isCarveOut && cursor < range.End && cursor < region.Base)
            {
                ulong holeEnd = region.Base < range.End ? region.Base : range.End;
                if (!Emit(cursor, holeEnd, range.Kind, ref count))
                {
                    return false;
                }
                cursor = holeEnd;
            }

            ulong overlapBase = region.Base > range.Base ? region.Base : range.Base;
            ulong overlapEnd = region.End < range.End ? region.End : range.End;
            if (overlapBase >= overlapEnd)
            {
                if (!Emit(region.Base, region.End, region.Kind, ref count))
                {
                    return false;
                }
                continue;
            }

            if (!Emit(region.Base, overlapBase, region.Kind, ref count)
                || !Emit(overlapBase, overlapEnd, Combine(region.Kind, range.Kind, isCarveOut), ref count)
                || !Emit(overlapEnd, region.End, region.Kind, ref count))
            {
                return false;
            }
            if (overlapEnd > cursor)
            {
                cursor = overlapEnd;
            }
        }
        if (!isCarveOut && cursor < range.End && !Emit(cursor, range.End, range.Kind, ref count))
        {
            return false;
        }
        SwapInScratch(count);
        return true;
    }

    private static MemoryRegionKind Combine(MemoryRegionKind existing, MemoryRegionKind incoming, bool isCarveOut)
    {
        if (isCarveOut)
        {
            return existing == MemoryRegionKind.Usable ? incoming : existing;
        }
        return Restrictiveness(incoming) > Restrictiveness(existing) ? incoming : existing;
    }

    /// <summary>
    /// Shrinks every usable region to whole pages. The partial pages at its ends become reserved: the
    /// frame allocator deals only in whole frames.
    /// </summary>
    private bool TrimUsableToPages()
    {
        int count = 0;
        for (int i = 0; i < _regionCount; i++)
        {
            MemoryRegion region = _regions[i];
            if (!region.IsUsable)
            {
                if (!Emit(region.Base, region.End, region.Kind, ref count))
                {
                    return false;
                }
                continue;
            }

            // Ends are below PhysicalAddressLimit, so rounding up cannot overflow.
            ulong pageBase = MemConstants.AlignUp(region.Base, MemConstants.PageSize);
            ulong pageEnd = MemConstants.AlignDown(region.End, MemConstants.PageSize);
            if (pageBase >= pageEnd)
            {
                if (!Emit(region.Base, region.End, MemoryRegionKind.Reserved, ref count))
                {
                    return false;
                }
                continue;
            }
            if (!Emit(region.Base, pageBase, MemoryRegionKind.Reserved, ref count)
                || !Emit(pageBase, pageEnd, MemoryRegionKind.Usable, ref count)
                || !Emit(pageEnd, region.End, MemoryRegionKind.Reserved, ref count))
            {
                return false;
            }
        }
        SwapInScratch(count);
        return true;
    }

    /// <summary>
    /// Appends [<paramref name="base"/>, <paramref name="end"/>) to the scratch list, dropping it when
    /// empty and merging it into the previous region when that one ends where it starts with the same kind.
    /// </summary>
    private bool Emit(ulong @base, ulong end, MemoryRegionKind kind, ref int count)
    {
        if (@base >= end)
        {
            return true;
        }
        if (count > 0)
        {
            MemoryRegion last = _scratch[count - 1];
            if (last.End == @base && last.Kind == kind)
            {
                _scratch[count - 1] = new MemoryRegion(last.Base, end, kind);
                return true;
            }
        }
        if (count == _scratch.Length)
        {
            return false;
        }
        _scratch[count++] = new MemoryRegion(@base, end, kind);
        return true;
    }

    private void SwapInScratch(int count)
    {
        MemoryRegion[] previous = _regions;
        _regions = _scratch;
        _scratch = previous;
        _regionCount = count;
    }
}
