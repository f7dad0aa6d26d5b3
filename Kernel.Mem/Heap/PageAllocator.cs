using System.Runtime.CompilerServices;

namespace Kernel.Mem.Heap;

/// <summary>
/// The FOS page allocator for large objects, "custom fit": a request rounded up to pages takes a hole of
/// exactly that size if there is one; else the largest hole (worst fit) if it is big enough, from its
/// start, leaving the rest as a smaller hole; else extends the break if the limit allows; else fails.
/// Free merges the range with free neighbours and moves the break down when the range reaches it, so no
/// hole ever touches the break.
/// </summary>
/// <remarks>
/// Ties go as in FOS, which keeps its holes in one list in address order and scans it from the start: it
/// takes the first hole of exactly the requested size, so the lowest-addressed one; failing that, the first
/// of the largest size (a later hole replaces the candidate only when it is strictly larger), so the
/// lowest-addressed of the largest holes. FOS's scan is linear in the number of holes; here the holes are
/// filed by (size, address) in a <see cref="HoleIndex"/> (a treap of the holes of each size keyed by
/// address, its lowest node kept per size, and a bitmap of the sizes). An exact fit takes the lowest node of
/// that size's tree, and a worst fit the bitmap's largest size (O(log64 of the area's pages)) and then the
/// lowest node of its tree; taking the lowest node, and unfiling any hole when a merge or a growth swallows
/// it, are O(1) expected; filing a hole is O(log k) expected for k holes of its size (O(1) when it is the new
/// lowest). Boundary tags in a per-page array (the size at the first and last page of each hole, the size at
/// the first page of each allocation, a mark on its other pages) make the neighbour checks of a merge O(1)
/// and let <see cref="Free"/> tell an allocation's start from its inside and from a hole, also after merges;
/// writing them is O(pages) per allocation and free. Each tag also keeps a mark that an allocation once
/// started at its page, so that a free of a page that starts nothing live tells a double free from a pointer
/// that never was an allocation. Metadata: 20 bytes per page of the area (the 4-byte
/// tag; three 4-byte tree links, used on a hole's first page; a 4-byte lowest hole per size) plus one bit
/// per page for the size bitmap.
/// </remarks>
public sealed unsafe class PageAllocator<TBacking>
    where TBacking : struct, IPageBacking
{
    /// <summary>The largest area (and thus allocation) in pages: the tag keeps the size in 30 bits.</summary>
    public const uint MaximumPages = PageTag.MaximumSize;

    private readonly TBacking _backing;
    private readonly ulong _start;
    private readonly uint _limit;
    private readonly uint* _tags;
    private readonly ulong _metadataBytes;
    private HoleIndex _holes;

    private uint _break;
    private ulong _pagesInUse;
    private ulong _holePages;
    private ulong _holeCount;
    private ulong _allocations;
    private ulong _frees;
    private ulong _failedAllocations;

    /// <summary>
    /// Manages the <paramref name="pageCount"/> (at most <see cref="MaximumPages"/>) pages from
    /// <paramref name="start"/>; the break starts at <paramref name="start"/> and the limit is the end.
    /// The caller must own <see cref="MetadataBytes"/>(<paramref name="pageCount"/>) writable, zeroed bytes at
    /// <paramref name="metadata"/>, 8-byte aligned, for the allocator's lifetime; <paramref name="start"/>
    /// must be page-aligned and not 0. The allocator never touches the pages themselves.
    /// </summary>
    public PageAllocator(TBacking backing, ulong start, uint pageCount, byte* metadata, ulong metadataLength)
    {
        _backing = backing;
        _start = start;
        _limit = pageCount;
        var carver = new MetadataCarver(metadata, metadataLength);
        _tags = (uint*)carver.Take((ulong)pageCount * sizeof(uint));
        _holes.Initialize(ref carver, pageCount);
        _metadataBytes = (ulong)(carver.Used - metadata);
    }

    /// <summary>The metadata bytes an area of <paramref name="pageCount"/> pages needs.</summary>
    public static ulong MetadataBytes(uint pageCount) =>
        MetadataCarver.Round((ulong)pageCount * sizeof(uint)) + HoleIndex.MetadataBytes(pageCount);

    public ulong Start => _start;
    public ulong Limit => PageAddress(_limit);
    public ulong Break => PageAddress(_break);
    public ulong MetadataBytesUsed => _metadataBytes;
    public ulong PagesInUse => _pagesInUse;
    public ulong BytesInUse => _pagesInUse << MemConstants.PageShift;

    /// <summary>Bytes in holes below the break (the space above the break is not counted as free).</summary>
    public ulong BytesFree => _holePages << MemConstants.PageShift;

    public ulong HoleCount => _holeCount;
    public ulong LargestHoleBytes => (ulong)_holes.Largest() << MemConstants.PageShift;
    public ulong Allocations => _allocations;
    public ulong Frees => _frees;
    public ulong FailedAllocations => _failedAllocations;

    public bool Contains(ulong address) => address - _start < ((ulong)_limit << MemConstants.PageShift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PagesFor(ulong bytes) => (bytes + MemConstants.PageMask) >> MemConstants.PageShift;

    /// <summary>
    /// Allocates <paramref name="pageCount"/> pages by custom fit and commits them; returns their address,
    /// or 0 (changing nothing) when no hole fits, the limit is reached or the backing fails.
    /// </summary>
    public ulong Allocate(ulong pageCount)
    {
        if (pageCount == 0 || pageCount > _limit)
        {
            _failedAllocations++;
            return 0;
        }
        uint count = (uint)pageCount;
        uint page;
        uint largest;
        if (_holes.HasSize(count))
        {
            page = TakeLowestHole(count);
            if (!_backing.Commit(PageAddress(page), count))
            {
                InsertHole(page, count);
                return Fail();
            }
        }
        else if ((largest = _holes.Largest()) > count)
        {
            page = TakeLowestHole(largest);
            if (!_backing.Commit(PageAddress(page), count))
            {
                InsertHole(page, largest);
                return Fail();
            }
            InsertHole(page + count, largest - count);
        }
        else if (count <= _limit - _break)
        {
            page = _break;
            if (!_backing.Commit(PageAddress(page), count))
            {
                return Fail();
            }
            _break += count;
        }
        else
        {
            return Fail();
        }
        MarkAllocated(page, 0, count);
        _pagesInUse += count;
        _allocations++;
        return PageAddress(page);
    }

    /// <summary>The pages of the live allocation at <paramref name="address"/>, or 0 when none starts there.</summary>
    public ulong AllocationPages(ulong address)
    {
        ulong pages;
        return Check(address, out pages) == FreeStatus.Freed ? pages : 0;
    }

    /// <summary>Says what <see cref="Free"/> would do with <paramref name="address"/>, changing nothing.</summary>
    public FreeStatus Check(ulong address, out ulong pageCount)
    {
        pageCount = 0;
        if (!Contains(address))
        {
            return FreeStatus.OutsideHeap;
        }
        uint tag = _tags[PageOf(address)];
        uint kind = tag & PageTag.KindMask;
        bool live = kind == PageTag.AllocationStart || kind == PageTag.AllocationInterior;
        if ((address & MemConstants.PageMask) != 0)
        {
            return live ? FreeStatus.InsideAllocation : FreeStatus.Misaligned;
        }
        if (kind == PageTag.AllocationInterior)
        {
            return FreeStatus.InsideAllocation;
        }
        if (kind != PageTag.AllocationStart)
        {
            return (tag & PageTag.Started) != 0 ? FreeStatus.DoubleFree : FreeStatus.NeverAllocated;
        }
        pageCount = tag & PageTag.SizeMask;
        return FreeStatus.Freed;
    }

    /// <summary>
    /// Decommits the allocation at <paramref name="address"/> and turns it into a hole merged with its free
    /// neighbours, or lowers the break. Anything but the start of a live allocation is reported and changes nothing.
    /// </summary>
    public FreeStatus Free(ulong address)
    {
        ulong pageCount;
        FreeStatus status = Check(address, out pageCount);
        if (status != FreeStatus.Freed)
        {
            return status;
        }
        _backing.Decommit(address, pageCount);
        Release(PageOf(address), (uint)pageCount);
        _frees++;
        return FreeStatus.Freed;
    }

    /// <summary>
    /// Grows the live allocation at <paramref name="address"/> to <paramref name="pageCount"/> pages without
    /// moving it: into the hole that follows it, or by raising the break when it ends at the break. Returns
    /// false, changing nothing, when the space after it is taken, the limit is reached or the backing fails.
    /// The caller must pass the start of a live allocation.
    /// </summary>
    public bool TryGrowInPlace(ulong address, ulong pageCount)
    {
        uint page = PageOf(address);
        uint count = _tags[page] & PageTag.SizeMask;
        if (pageCount <= count)
        {
            return pageCount == count;
        }
        uint next = page + count;
        ulong extra = pageCount - count;
        if (next == _break)
        {
            if (extra > _limit - _break || !_backing.Commit(PageAddress(next), extra))
            {
                return false;
            }
            _break += (uint)extra;
        }
        else
        {
            uint tag = _tags[next];
            uint holeSize = tag & PageTag.SizeMask;
            if ((tag & PageTag.KindMask) != PageTag.HoleBoundary || holeSize < extra)
            {
                return false;
            }
            RemoveHole(next, holeSize);
            if (!_backing.Commit(PageAddress(next), extra))
            {
                InsertHole(next, holeSize);
                return false;
            }
            if (holeSize > extra)
            {
                InsertHole(next + (uint)extra, holeSize - (uint)extra);
            }
        }
        MarkAllocated(page, count, (uint)pageCount);
        _pagesInUse += extra;
        return true;
    }

    /// <summary>
    /// Shrinks the live allocation at <paramref name="address"/> to <paramref name="pageCount"/> (at least 1)
    /// pages in place, releasing its tail as <see cref="Free"/> would. The caller must pass the start of a
    /// live allocation and a count no larger than its own.
    /// </summary>
    public void ShrinkInPlace(ulong address, ulong pageCount)
    {
        uint page = PageOf(address);
        uint count = _tags[page] & PageTag.SizeMask;
        if (pageCount == 0 || pageCount >= count)
        {
            return;
        }
        uint tail = page + (uint)pageCount;
        uint tailCount = count - (uint)pageCount;
        _backing.Decommit(PageAddress(tail), tailCount);
        _tags[page] = PageTag.AllocationStart | PageTag.Started | (uint)pageCount;
        Release(tail, tailCount);
    }

    /// <summary>
    /// One step of a walk over the holes in address order. Start with <paramref name="cursor"/> at 0 and call
    /// until it returns false; each true gives the next hole's <paramref name="address"/> and size in
    /// <paramref name="bytes"/>. The walk follows the boundary tags from the start of the area to the break,
    /// jumping over each allocation and hole by its size, so a whole walk is O(allocations + holes below the
    /// break) and one step is O(allocations skipped). It allocates nothing and changes nothing.
    /// </summary>
    /// <remarks>
    /// The cursor is the page where the walk resumes. The allocator must not change during a walk (gather,
    /// then print); if it does, the walk still ends and reads only the tag array, but what it reports is
    /// not meaningful.
    /// </remarks>
    public bool NextHole(ref ulong cursor, out ulong address, out ulong bytes) =>
        NextRun(ref cursor, PageTag.HoleBoundary, out address, out bytes);

    /// <summary>
    /// One step of a walk over the live allocations in address order, as <see cref="NextHole"/> walks the
    /// holes (same cursor, same cost): <paramref name="address"/> is an allocation's start and
    /// <paramref name="bytes"/> its size in whole pages.
    /// </summary>
    public bool NextAllocation(ref ulong cursor, out ulong address, out ulong bytes) =>
        NextRun(ref cursor, PageTag.AllocationStart, out address, out bytes);

    /// <summary>
    /// Checks every invariant, changing nothing: below the break the tags form a row of allocations (start tag
    /// with the size, interior marks) and holes (size at both ends, free inside), no two holes adjacent and
    /// none ending at the break; every page above the break is free; each hole is filed in the index under its
    /// size, the index's trees are in search and heap order and hold exactly the holes; the counts and
    /// totals agree. O(pages of the area + holes); for tests and debugging.
    /// </summary>
    public bool Verify()
    {
        ulong holes = 0;
        ulong holePages = 0;
        ulong pagesInUse = 0;
        bool previousWasHole = false;
        uint page = 0;
        while (page < _break)
        {
            uint tag = _tags[page];
            uint kind = tag & PageTag.KindMask;
            uint size = tag & PageTag.SizeMask;
            if (size == 0 || size > _break - page)
            {
                return false;
            }
            uint last = page + size - 1;
            if (kind == PageTag.AllocationStart)
            {
                for (uint inner = page + 1; inner <= last; inner++)
                {
                    if ((_tags[inner] & PageTag.KindAndSizeMask) != PageTag.AllocationInterior)
                    {
                        return false;
                    }
                }
                pagesInUse += size;
                previousWasHole = false;
            }
            else if (kind == PageTag.HoleBoundary)
            {
                if (previousWasHole || (_tags[last] & PageTag.KindAndSizeMask) != (tag & PageTag.KindAndSizeMask) || last + 1 == _break
                    || !_holes.Contains(page, size))
                {
                    return false;
                }
                for (uint inner = page + 1; inner < last; inner++)
                {
                    if ((_tags[inner] & PageTag.KindAndSizeMask) != PageTag.Free)
                    {
                        return false;
                    }
                }
                holes++;
                holePages += size;
                previousWasHole = true;
            }
            else
            {
                return false;
            }
            page += size;
        }
        for (; page < _limit; page++)
        {
            if ((_tags[page] & PageTag.KindAndSizeMask) != PageTag.Free)
            {
                return false;
            }
        }
        ulong indexedPages;
        return holes == _holeCount && holePages == _holePages && pagesInUse == _pagesInUse
            && _holes.Verify(holes, out indexedPages) && indexedPages == holePages;
    }

    /// <summary>
    /// Walks the runs (allocations and holes) from page <paramref name="cursor"/> to the break and stops after
    /// the first whose first-page tag is of <paramref name="kind"/>. Every run below the break starts with an
    /// allocation-start or hole-boundary tag carrying its size; any other tag can only be met from a cursor
    /// made stale by a change, and is stepped over a page at a time so the walk always ends.
    /// </summary>
    private bool NextRun(ref ulong cursor, uint kind, out ulong address, out ulong bytes)
    {
        ulong page = cursor;
        while (page < _break)
        {
            uint tag = _tags[page];
            uint tagKind = tag & PageTag.KindMask;
            ulong size = tag & PageTag.SizeMask;
            if ((tagKind != PageTag.HoleBoundary && tagKind != PageTag.AllocationStart) || size == 0)
            {
                page++;
                continue;
            }
            ulong next = page + size;
            if (tagKind == kind && next <= _break)
            {
                cursor = next;
                address = PageAddress((uint)page);
                bytes = size << MemConstants.PageShift;
                return true;
            }
            page = next;
        }
        cursor = page;
        address = 0;
        bytes = 0;
        return false;
    }

    private ulong Fail()
    {
        _failedAllocations++;
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong PageAddress(uint page) => _start + ((ulong)page << MemConstants.PageShift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint PageOf(ulong address) => (uint)((address - _start) >> MemConstants.PageShift);

    /// <summary>Tags pages [page, page + count) as one allocation whose pages before <paramref name="from"/> are tagged already.</summary>
    private void MarkAllocated(uint page, uint from, uint count)
    {
        _tags[page] = PageTag.AllocationStart | PageTag.Started | count;
        uint first = from == 0 ? 1 : from;
        if (count > first)
        {
            FillTags(page + first, count - first, PageTag.AllocationInterior);
        }
    }

    /// <summary>Gives pages [page, page + count) the kind and size of <paramref name="tag"/>, keeping their <see cref="PageTag.Started"/> marks.</summary>
    private void FillTags(uint page, uint count, uint tag)
    {
        uint* tags = _tags + page;
        for (uint i = 0; i < count; i++)
        {
            tags[i] = (tags[i] & PageTag.Started) | tag;
        }
    }

    private void SetTag(uint page, uint tag) => _tags[page] = (_tags[page] & PageTag.Started) | tag;

    /// <summary>Turns the pages [page, page + count), no longer committed, into free space.</summary>
    private void Release(uint page, uint count)
    {
        FillTags(page, count, PageTag.Free);
        _pagesInUse -= count;
        uint start = page;
        uint end = page + count;
        if (start > 0 && (_tags[start - 1] & PageTag.KindMask) == PageTag.HoleBoundary)
        {
            uint size = _tags[start - 1] & PageTag.SizeMask;
            start -= size;
            RemoveHole(start, size);
        }
        if (end < _break && (_tags[end] & PageTag.KindMask) == PageTag.HoleBoundary)
        {
            uint size = _tags[end] & PageTag.SizeMask;
            RemoveHole(end, size);
            end += size;
        }
        if (end == _break)
        {
            _break = start;
        }
        else
        {
            InsertHole(start, end - start);
        }
    }

    private void InsertHole(uint page, uint size)
    {
        SetTag(page, PageTag.HoleBoundary | size);
        SetTag(page + size - 1, PageTag.HoleBoundary | size);
        _holes.Add(page, size);
        _holeCount++;
        _holePages += size;
    }

    /// <summary>Takes the hole at <paramref name="page"/> out of the index; its pages become plain free space.</summary>
    private void RemoveHole(uint page, uint size)
    {
        _holes.Remove(page, size);
        ForgetHole(page, size);
    }

    /// <summary>Takes the lowest-addressed hole of <paramref name="size"/> pages, which must exist, out of the index.</summary>
    private uint TakeLowestHole(uint size)
    {
        uint page = _holes.TakeLowest(size);
        ForgetHole(page, size);
        return page;
    }

    private void ForgetHole(uint page, uint size)
    {
        SetTag(page, PageTag.Free);
        SetTag(page + size - 1, PageTag.Free);
        _holeCount--;
        _holePages -= size;
    }
}
