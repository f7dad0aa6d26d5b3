using Kernel.Mem.Heap;

namespace Kernel.Mem.Replacement;

/// <summary>
/// A process's working set (FOS'25): the resident pages that may be replaced, at most <see cref="Capacity"/>
/// of them, each with the page-file slot that holds a copy of it (or <see cref="NoSlot"/>) and its aging
/// counter. While there is room a faulting page is placed in the first free entry; when it is full a victim is
/// chosen by the policy, from the hand, which then moves past it (the new page takes the victim's entry).
/// Freed pages leave holes that placement fills. Hardware-free: the machine's accessed and dirty bits are
/// read through <typeparamref name="TBits"/>-constrained calls, so the host model replays the very same code.
/// </summary>
public sealed unsafe class WorkingSet
{
    /// <summary>The slot of a page that has no copy in the page file.</summary>
    public const ulong NoSlot = ulong.MaxValue;

    /// <summary>An entry that holds no page (user pages are never at 0).</summary>
    private const ulong Empty = 0;

    /// <summary>A page just loaded or referenced counts as used at the latest aging step.</summary>
    private const uint Referenced = 1U << 31;

    private readonly ulong[] _pages;
    private readonly ulong[] _slots;
    private readonly uint[] _ages;
    private readonly ReplacementPolicy _policy;
    private int _count;
    private int _used;
    private int _hand;

    public WorkingSet(int capacity, ReplacementPolicy policy)
    {
        _pages = new ulong[capacity];
        _slots = new ulong[capacity];
        _ages = new uint[capacity];
        _policy = policy;
        for (int i = 0; i < capacity; i++)
        {
            _slots[i] = NoSlot;
        }
    }

    /// <summary>Hands the set's arrays to <paramref name="free"/> (a kernel without a collector frees them explicitly).</summary>
    public void ReleaseObjects(delegate*<object, FreeStatus> free)
    {
        free(_pages);
        free(_slots);
        free(_ages);
    }

    public int Capacity => _pages.Length;

    /// <summary>Pages in the set.</summary>
    public int Count => _count;

    public ReplacementPolicy Policy => _policy;

    /// <summary>The entry the next sweep starts at.</summary>
    public int Hand => _hand;

    public bool IsFull => _count == _pages.Length;

    public ulong PageAt(int index) => _pages[index];

    public ulong SlotAt(int index) => _slots[index];

    public uint AgeAt(int index) => _ages[index];

    public void SetSlot(int index, ulong slot) => _slots[index] = slot;

    /// <summary>The entry that holds <paramref name="page"/>, or -1. O(capacity): for tests and rare paths.</summary>
    public int IndexOf(ulong page)
    {
        for (int i = 0; i < _used; i++)
        {
            if (_pages[i] == page)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Places <paramref name="page"/> in the first free entry (the set must not be full); returns the entry.</summary>
    public int Add(ulong page, ulong slot)
    {
        int index = _used;
        for (int i = 0; i < _used; i++)
        {
            if (_pages[i] == Empty)
            {
                index = i;
                break;
            }
        }
        if (index == _used)
        {
            _used++;
        }
        Fill(index, page, slot);
        _count++;
        return index;
    }

    /// <summary>Puts <paramref name="page"/> in the entry of the victim just chosen (it was evicted by the caller).</summary>
    public void Replace(int index, ulong page, ulong slot) => Fill(index, page, slot);

    /// <summary>Empties an entry (its page was freed or evicted without a successor). An emptied set starts afresh.</summary>
    public void RemoveAt(int index)
    {
        _pages[index] = Empty;
        _slots[index] = NoSlot;
        _ages[index] = 0;
        _count--;
        if (_count == 0)
        {
            _used = 0;
            _hand = 0;
        }
    }

    /// <summary>
    /// One step of removing every page of [<paramref name="start"/>, <paramref name="end"/>): start
    /// <paramref name="cursor"/> at 0 and call until false; each call empties one entry and gives its page and slot.
    /// </summary>
    public bool TryRemoveNextInRange(ulong start, ulong end, ref int cursor, out ulong page, out ulong slot)
    {
        for (; cursor < _used; cursor++)
        {
            ulong candidate = _pages[cursor];
            if (candidate != Empty && candidate >= start && candidate < end)
            {
                page = candidate;
                slot = _slots[cursor];
                RemoveAt(cursor);
                cursor++;
                return true;
            }
        }
        page = 0;
        slot = NoSlot;
        return false;
    }

    /// <summary>
    /// Chooses the page to give up by the policy, from the hand, and moves the hand past it. The set must
    /// hold at least one page. CLOCK and modified CLOCK clear accessed bits as they pass pages over.
    /// </summary>
    public int ChooseVictim<TBits>(ref TBits bits)
        where TBits : struct, IReferenceBits
    {
        int victim;
        switch (_policy)
        {
            case ReplacementPolicy.ModifiedClock:
                victim = ModifiedClockVictim(ref bits);
                break;
            case ReplacementPolicy.LruAging:
                victim = OldestFromHand();
                break;
            default:
                victim = ClockVictim(ref bits);
                break;
        }
        _hand = victim + 1 == _used ? 0 : victim + 1;
        return victim;
    }

    /// <summary>
    /// One aging step (LRU approximation): every counter moves right by one and the page's accessed bit, read
    /// and cleared, enters at the top.
    /// </summary>
    public void Age<TBits>(ref TBits bits)
        where TBits : struct, IReferenceBits
    {
        for (int i = 0; i < _used; i++)
        {
            if (_pages[i] != Empty)
            {
                _ages[i] = (_ages[i] >> 1) | (bits.TestAndClearAccessed(_pages[i]) ? Referenced : 0);
            }
        }
    }

    private void Fill(int index, ulong page, ulong slot)
    {
        _pages[index] = page;
        _slots[index] = slot;
        _ages[index] = Referenced;
    }

    private int ClockVictim<TBits>(ref TBits bits)
        where TBits : struct, IReferenceBits
    {
        // Two passes at most: the first clears every accessed bit it meets, the second finds one clear.
        int index = _hand;
        for (int step = 0; step <= 2 * _used; step++, index = Next(index))
        {
            if (_pages[index] != Empty && !bits.TestAndClearAccessed(_pages[index]))
            {
                return index;
            }
        }
        return FirstFromHand();
    }

    private int ModifiedClockVictim<TBits>(ref TBits bits)
        where TBits : struct, IReferenceBits
    {
        // After one (0,0) sweep and one (0,1) sweep every accessed bit is clear, so the next (0,0) or (0,1)
        // sweep must succeed: four sweeps at most.
        for (int round = 0; round < 2; round++)
        {
            int index = _hand;
            for (int step = 0; step < _used; step++, index = Next(index))
            {
                ulong page = _pages[index];
                if (page != Empty && !bits.IsAccessed(page) && !bits.IsDirty(page))
                {
                    return index;
                }
            }
            index = _hand;
            for (int step = 0; step < _used; step++, index = Next(index))
            {
                ulong page = _pages[index];
                if (page != Empty && !bits.TestAndClearAccessed(page) && bits.IsDirty(page))
                {
                    return index;
                }
            }
        }
        return FirstFromHand();
    }

    private int OldestFromHand()
    {
        int oldest = -1;
        int index = _hand;
        for (int step = 0; step < _used; step++, index = Next(index))
        {
            if (_pages[index] != Empty && (oldest < 0 || _ages[index] < _ages[oldest]))
            {
                oldest = index;
            }
        }
        return oldest;
    }

    private int FirstFromHand()
    {
        int index = _hand;
        for (int step = 0; step < _used; step++, index = Next(index))
        {
            if (_pages[index] != Empty)
            {
                return index;
            }
        }
        return 0;
    }

    private int Next(int index) => index + 1 == _used ? 0 : index + 1;
}
