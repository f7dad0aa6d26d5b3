namespace Kernel.Mem.Replacement;

/// <summary>
/// Replays a reference string through a <see cref="WorkingSet"/> the way the kernel's fault path drives it,
/// with the page file's effect counted: a reference to a resident page sets its accessed bit (and dirty bit
/// for a write); a fault places the page, or evicts a victim first when the set is full (writing it to the page
/// file when it is dirty or has no copy there yet, else dropping it: a write avoided), reads the page back when
/// it has a copy, and leaves it accessed (and dirty for a write). With aging, one aging step follows every
/// reference, as the kernel ages a process's set at every tick it runs. The host tests check it against
/// textbook reference strings; the kernel's pagefile suite uses it to predict what a program will see.
/// </summary>
public sealed class ReplacementModel
{
    private readonly WorkingSet _set;
    private readonly bool[] _accessed;
    private readonly bool[] _dirty;
    private readonly bool[] _resident;
    private readonly bool[] _hasCopy;
    private readonly bool _ageEveryReference;
    private readonly ulong _slots;

    /// <param name="pages">Pages are numbered 0 .. pages - 1.</param>
    public ReplacementModel(int pages, int capacity, ReplacementPolicy policy, bool ageEveryReference)
        : this(pages, capacity, policy, ageEveryReference, 0)
    {
    }

    /// <param name="pages">Pages are numbered 0 .. pages - 1.</param>
    /// <param name="slots">
    /// The page file's size in slots, never reached here: from half of it a page read back gives its slot up
    /// (<see cref="IPageStore.IsNearlyFull"/>). 0 for a page file too large to matter.
    /// </param>
    public ReplacementModel(int pages, int capacity, ReplacementPolicy policy, bool ageEveryReference, ulong slots)
    {
        _slots = slots;
        _set = new WorkingSet(capacity, policy);
        _accessed = new bool[pages];
        _dirty = new bool[pages];
        _resident = new bool[pages];
        _hasCopy = new bool[pages];
        _ageEveryReference = ageEveryReference;
    }

    public WorkingSet Set => _set;

    public ulong Faults { get; private set; }

    /// <summary>Faults served by reading the page back from the page file.</summary>
    public ulong PageIns { get; private set; }

    /// <summary>Evictions that wrote the page to the page file.</summary>
    public ulong PageOuts { get; private set; }

    /// <summary>Evictions of clean pages that already had a copy: no write needed.</summary>
    public ulong WritesAvoided { get; private set; }

    /// <summary>Pages with a copy in the page file: the slots in use.</summary>
    public ulong SlotsInUse { get; private set; }

    public bool IsResident(int page) => _resident[page];

    /// <summary>Replays one reference to <paramref name="page"/>, a write when <paramref name="write"/>.</summary>
    public void Reference(int page, bool write)
    {
        if (!_resident[page])
        {
            Fault(page);
        }
        _accessed[page] = true;
        _dirty[page] |= write;
        if (_ageEveryReference)
        {
            Age();
        }
    }

    /// <summary>One aging step (LRU aging), as the kernel takes at a tick that finds the process in ring 3.</summary>
    public void Age()
    {
        Bits bits = new Bits(this);
        _set.Age(ref bits);
    }

    /// <summary>Replays a string of references, all reads or all writes.</summary>
    public void ReferenceAll(int[] pages, bool write)
    {
        for (int i = 0; i < pages.Length; i++)
        {
            Reference(pages[i], write);
        }
    }

    private void Fault(int page)
    {
        Faults++;
        ulong key = KeyOf(page);
        if (_set.IsFull)
        {
            Bits bits = new Bits(this);
            int victimIndex = _set.ChooseVictim(ref bits);
            int victim = PageOf(_set.PageAt(victimIndex));
            if (_dirty[victim] || !_hasCopy[victim])
            {
                PageOuts++;
                if (!_hasCopy[victim])
                {
                    _hasCopy[victim] = true;
                    SlotsInUse++;
                }
            }
            else
            {
                WritesAvoided++;
            }
            _resident[victim] = false;
            _accessed[victim] = false;
            _dirty[victim] = false;
            _set.Replace(victimIndex, key, 0);
        }
        else
        {
            _set.Add(key, 0);
        }
        if (_hasCopy[page])
        {
            PageIns++;
            if (_slots != 0 && SlotsInUse * 2 >= _slots)
            {
                _hasCopy[page] = false;
                SlotsInUse--;
            }
        }
        _resident[page] = true;
    }

    // The set holds addresses, never 0: page i is the address (i + 1) pages up.
    private static ulong KeyOf(int page) => ((ulong)page + 1) << MemConstants.PageShift;

    private static int PageOf(ulong key) => (int)(key >> MemConstants.PageShift) - 1;

    private readonly struct Bits : IReferenceBits
    {
        private readonly ReplacementModel _model;

        public Bits(ReplacementModel model) => _model = model;

        public bool TestAndClearAccessed(ulong page)
        {
            int index = PageOf(page);
            bool accessed = _model._accessed[index];
            _model._accessed[index] = false;
            return accessed;
        }

        public bool IsAccessed(ulong page) => _model._accessed[PageOf(page)];

        public bool IsDirty(ulong page) => _model._dirty[PageOf(page)];
    }
}
