namespace Kernel.Mem.Pebble;

/// <summary>
/// The virtual range where virtual (non-contiguous) buckets are mapped: a bitmap of its pages, first fit.
/// Buckets are created and released rarely, so a linear scan is enough. The caller holds the heap lock.
/// </summary>
public sealed class BucketSpace
{
    private const int BitsPerWord = 64;

    private readonly ulong _base;
    private readonly ulong _pages;
    private readonly ulong[] _used;

    /// <summary>Manages [<paramref name="virtualBase"/>, + <paramref name="pages"/> pages); the base must be page aligned.</summary>
    public BucketSpace(ulong virtualBase, ulong pages)
    {
        _base = virtualBase;
        _pages = pages;
        _used = new ulong[(pages + BitsPerWord - 1) / BitsPerWord];
    }

    /// <summary>Takes the lowest run of <paramref name="count"/> free pages; false when there is none.</summary>
    public bool TryTake(ulong count, out ulong virtualAddress)
    {
        virtualAddress = 0;
        if (count == 0 || count > _pages)
        {
            return false;
        }
        ulong runStart = 0;
        ulong runLength = 0;
        ulong page = 0;
        while (page < _pages)
        {
            if (_used[page / BitsPerWord] == ulong.MaxValue && page % BitsPerWord == 0)
            {
                runLength = 0;
                page += BitsPerWord;
                continue;
            }
            if (IsUsed(page))
            {
                runLength = 0;
            }
            else
            {
                if (runLength == 0)
                {
                    runStart = page;
                }
                runLength++;
                if (runLength == count)
                {
                    for (ulong i = runStart; i < runStart + count; i++)
                    {
                        _used[i / BitsPerWord] |= 1UL << (int)(i % BitsPerWord);
                    }
                    virtualAddress = _base + (runStart << MemConstants.PageShift);
                    return true;
                }
            }
            page++;
        }
        return false;
    }

    /// <summary>Returns pages taken by <see cref="TryTake"/>.</summary>
    public void Give(ulong virtualAddress, ulong count)
    {
        ulong first = (virtualAddress - _base) >> MemConstants.PageShift;
        for (ulong i = first; i < first + count && i < _pages; i++)
        {
            _used[i / BitsPerWord] &= ~(1UL << (int)(i % BitsPerWord));
        }
    }

    private bool IsUsed(ulong page) => (_used[page / BitsPerWord] & (1UL << (int)(page % BitsPerWord))) != 0;
}
