using Kernel.Mem.Heap;

namespace Kernel.Mem.Replacement;

/// <summary>
/// A process's working set (FOS'25): the resident pages that may be replaced, at most <see cref="Capacity"/>
/// of them, each with the page-file slot that holds a copy of it (or <see cref="NoSlot"/>) and its aging
/// counter. While there is room a faulting page is placed in the first free entry; when it is full a victim is
/// chosen by the policy, from the hand, which then moves past it (the new page takes the victim's entry).
/// Freed pages leave holes that placement fills. The table of entries starts small and doubles as pages join
/// (<see cref="MakeRoom"/>), up to the capacity, so a generous limit costs nothing until it is used; when the
/// memory for a larger table cannot be had, the set counts as full and replaces instead. Hardware-free: the
/// machine's accessed and dirty bits are read through <typeparamref name="TBits"/>-constrained calls, so the
/// host model replays the very same code.
/// </summary>
public sealed unsafe class WorkingSet
{
    /// <summary>The slot of a page that has no copy in the page file.</summary>
    public const ulong NoSlot = ulong.MaxValue;

    /// <summary>Entries of a table that grows, at first.</summary>
    public const int InitialEntries = 64;

    /// <summary>An entry that holds no page (user pages are never at 0).</summary>
    private const ulong Empty = 0;

    /// <summary>A page just loaded or referenced counts as used at the latest aging step.</summary>
    private const uint Referenced = 1U << 31;

    private struct Entry
    {
        public ulong Page;
        public ulong Slot;
        public uint Age;
    }

    private Entry[] _entries;
    private readonly delegate*<object, int, object> _allocateLike;
    private readonly delegate*<object, FreeStatus> _free;
    private readonly int _capacity;
    private readonly ReplacementPolicy _policy;
    private int _count;
    private int _used;
    private int _hand;

    // Every entry below it holds a page, so placement looks for a hole from here rather than from 0: a set that
    // only grows places each page in O(1), not in a walk over every page it already holds.
    private int _firstHole;

    /// <summary>A set of <paramref name="capacity"/> entries, all made now.</summary>
    public WorkingSet(int capacity, ReplacementPolicy policy)
        : this(capacity, policy, capacity, null, null)
    {
    }

    /// <summary>
    /// A set that may hold <paramref name="capacity"/> pages, with a table of <paramref name="initialEntries"/>
    /// to start. Larger tables come from <paramref name="allocateLike"/> (a zeroed array like the one given, of
    /// the length given, or null when memory is short: the kernel's, so that running short means a full set
    /// rather than a panic) and outgrown ones go to <paramref name="free"/>; with null for either, tables are
    /// made with <c>new</c> and left to the collector (the host).
    /// </summary>
    public WorkingSet(int capacity, ReplacementPolicy policy, int initialEntries,
        delegate*<object, int, object> allocateLike, delegate*<object, FreeStatus> free)
    {
        _allocateLike = allocateLike;
        _free = free;
        _capacity = capacity;
        _policy = policy;
        _entries = new Entry[initialEntries < capacity ? initialEntries : capacity];
        ClearSlots(0);
    }

    /// <summary>Hands the set's table to <paramref name="free"/> (a kernel without a collector frees it explicitly).</summary>
    public void ReleaseObjects(delegate*<object, FreeStatus> free)
    {
        free(_entries);
        _entries = null;
    }

    /// <summary>The most pages the set may hold.</summary>
    public int Capacity => _capacity;

    /// <summary>Entries the table has now (it grows towards <see cref="Capacity"/>).</summary>
    public int TableEntries => _entries.Length;

    /// <summary>Pages in the set.</summary>
    public int Count => _count;

    public ReplacementPolicy Policy => _policy;

    /// <summary>The entry the next sweep starts at.</summary>
    public int Hand => _hand;

    public bool IsFull => _count == _capacity;

    public ulong PageAt(int index) => _entries[index].Page;

    public ulong SlotAt(int index) => _entries[index].Slot;

    public uint AgeAt(int index) => _entries[index].Age;

    public void SetSlot(int index, ulong slot) => _entries[index].Slot = slot;

    /// <summary>
    /// True when a page can be added now: the table has a free entry, or it could be doubled (up to the
    /// capacity). False when the set is full, or its table is and no memory for a larger one was found.
    /// </summary>
    public bool MakeRoom()
    {
        if (_count < _entries.Length)
        {
            return true;
        }
        if (_entries.Length >= _capacity)
        {
            return false;
        }
        int length = _entries.Length <= _capacity / 2 ? _entries.Length * 2 : _capacity;
        if (length == 0)
        {
            length = 1;
        }
        Entry[] larger = _allocateLike == null ? new Entry[length] : (Entry[])_allocateLike(_entries, length);
        if (larger == null)
        {
            return false;
        }
        for (int i = 0; i < _used; i++)
        {
            larger[i] = _entries[i];
        }
        Entry[] old = _entries;
        _entries = larger;
        ClearSlots(_used);
        if (_free != null)
        {
            _free(old);
        }
        return true;
    }

    private void ClearSlots(int from)
    {
        for (int i = from; i < _entries.Length; i++)
        {
            _entries[i].Slot = NoSlot;
        }
    }

    /// <summary>The entry that holds <paramref name="page"/>, or -1. O(capacity): for tests and rare paths.</summary>
    public int IndexOf(ulong page)
    {
        for (int i = 0; i < _used; i++)
        {
            if (_entries[i].Page == page)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Places <paramref name="page"/> in the first free entry and returns it; -1, changing nothing, when there is
    /// no room (see <see cref="MakeRoom"/>).
    /// </summary>
    public int Add(ulong page, ulong slot)
    {
        if (!MakeRoom())
        {
            return -1;
        }
        int index = _used;
        if (_count < _used)
        {
            for (int i = _firstHole; i < _used; i++)
            {
                if (_entries[i].Page == Empty)
                {
                    index = i;
                    break;
                }
            }
        }
        if (index == _used)
        {
            _used++;
        }
        Fill(index, page, slot);
        _count++;
        _firstHole = index + 1;
        return index;
    }

    /// <summary>Puts <paramref name="page"/> in the entry of the victim just chosen (it was evicted by the caller).</summary>
    public void Replace(int index, ulong page, ulong slot) => Fill(index, page, slot);

    /// <summary>Empties an entry (its page was freed or evicted without a successor). An emptied set starts afresh.</summary>
    public void RemoveAt(int index)
    {
        _entries[index] = new Entry { Page = Empty, Slot = NoSlot, Age = 0 };
        _count--;
        if (index < _firstHole)
        {
            _firstHole = index;
        }
        if (_count == 0)
        {
            _used = 0;
            _hand = 0;
            _firstHole = 0;
        }
    }

    /// <summary>
    /// Takes the page-file slot of a resident page's clean copy, other than the one in entry
    /// <paramref name="except"/>, for a page that has nowhere else to go: the page file is full, and a copy of a
    /// page still in memory is only a saving (its page is written again if it is evicted). False when no
    /// resident page has a copy. O(capacity), on the rare full-page-file path only.
    /// </summary>
    public bool TryTakeCopySlot(int except, out ulong slot)
    {
        for (int i = 0; i < _used; i++)
        {
            if (i != except && _entries[i].Page != Empty && _entries[i].Slot != NoSlot)
            {
                slot = _entries[i].Slot;
                _entries[i].Slot = NoSlot;
                return true;
            }
        }
        slot = NoSlot;
        return false;
    }

    /// <summary>
    /// One step of removing every page of [<paramref name="start"/>, <paramref name="end"/>): start
    /// <paramref name="cursor"/> at 0 and call until false; each call empties one entry and gives its page and slot.
    /// </summary>
    public bool TryRemoveNextInRange(ulong start, ulong end, ref int cursor, out ulong page, out ulong slot)
    {
        for (; cursor < _used; cursor++)
        {
            ulong candidate = _entries[cursor].Page;
            if (candidate != Empty && candidate >= start && candidate < end)
            {
                page = candidate;
                slot = _entries[cursor].Slot;
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
            if (_entries[i].Page != Empty)
            {
                _entries[i].Age = (_entries[i].Age >> 1) | (bits.TestAndClearAccessed(_entries[i].Page) ? Referenced : 0);
            }
        }
    }

    private void Fill(int index, ulong page, ulong slot)
    {
        _entries[index] = new Entry { Page = page, Slot = slot, Age = Referenced };
    }

    private int ClockVictim<TBits>(ref TBits bits)
        where TBits : struct, IReferenceBits
    {
        // Two passes at most: the first clears every accessed bit it meets, the second finds one clear.
        int index = _hand;
        for (int step = 0; step <= 2 * _used; step++, index = Next(index))
        {
            if (_entries[index].Page != Empty && !bits.TestAndClearAccessed(_entries[index].Page))
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
                ulong page = _entries[index].Page;
                if (page != Empty && !bits.IsAccessed(page) && !bits.IsDirty(page))
                {
                    return index;
                }
            }
            index = _hand;
            for (int step = 0; step < _used; step++, index = Next(index))
            {
                ulong page = _entries[index].Page;
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
            if (_entries[index].Page != Empty && (oldest < 0 || _entries[index].Age < _entries[oldest].Age))
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
            if (_entries[index].Page != Empty)
            {
                return index;
            }
        }
        return 0;
    }

    private int Next(int index) => index + 1 == _used ? 0 : index + 1;
}
