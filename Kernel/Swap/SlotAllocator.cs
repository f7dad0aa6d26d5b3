namespace Kernel.Swap;

/// <summary>
/// Which page-file slots are in use: one bit per slot, next fit from the word of the last allocation (so
/// consecutive page-outs go to neighbouring slots and a search rarely starts in a full stretch).
/// Hardware-free, compiled into the host tests too. Not for interrupt handlers; kernel code is not
/// preempted, so the kernel needs no lock around it.
/// </summary>
internal sealed class SlotAllocator
{
    private const int BitsPerWord = 64;
    private const ulong FullWord = ulong.MaxValue;

    private readonly ulong[] _bits;
    private readonly ulong _count;
    private ulong _inUse;
    private ulong _allocations;
    private ulong _frees;
    private ulong _rejectedFrees;
    // The word the next search starts at.
    private int _hint;

    /// <summary>Tracks <paramref name="count"/> slots (at least 1), all free.</summary>
    public SlotAllocator(ulong count)
    {
        _count = count;
        int words = (int)((count + BitsPerWord - 1) / BitsPerWord);
        _bits = new ulong[words];
        // The bits past the last slot are marked used, so the search never hands them out.
        int tail = (int)(count % BitsPerWord);
        if (tail != 0)
        {
            _bits[words - 1] = FullWord << tail;
        }
    }

    public ulong Count => _count;

    public ulong InUse => _inUse;

    public ulong Free => _count - _inUse;

    public ulong Allocations => _allocations;

    public ulong Frees => _frees;

    /// <summary>Frees refused: double frees and slots out of range.</summary>
    public ulong RejectedFrees => _rejectedFrees;

    public bool IsAllocated(ulong slot) => slot < _count && (_bits[slot / BitsPerWord] & 1UL << (int)(slot % BitsPerWord)) != 0;

    /// <summary>Takes a free slot; false, changing nothing, when every slot is in use.</summary>
    public bool TryAllocate(out ulong slot)
    {
        slot = 0;
        if (_inUse == _count)
        {
            return false;
        }
        int words = _bits.Length;
        for (int n = 0; n < words; n++)
        {
            int index = _hint + n < words ? _hint + n : _hint + n - words;
            ulong word = _bits[index];
            if (word == FullWord)
            {
                continue;
            }
            int bit = LowestClearBit(word);
            _bits[index] = word | 1UL << bit;
            _hint = index;
            _inUse++;
            _allocations++;
            slot = (ulong)index * BitsPerWord + (ulong)bit;
            return true;
        }
        return false;
    }

    /// <summary>Returns <paramref name="slot"/>; a slot out of range or not allocated is refused, changing nothing.</summary>
    public SlotFreeStatus Release(ulong slot)
    {
        if (slot >= _count)
        {
            _rejectedFrees++;
            return SlotFreeStatus.OutOfRange;
        }
        int index = (int)(slot / BitsPerWord);
        ulong mask = 1UL << (int)(slot % BitsPerWord);
        if ((_bits[index] & mask) == 0)
        {
            _rejectedFrees++;
            return SlotFreeStatus.NotAllocated;
        }
        _bits[index] &= ~mask;
        _inUse--;
        _frees++;
        return SlotFreeStatus.Ok;
    }

    private static int LowestClearBit(ulong word)
    {
        ulong free = ~word;
        int bit = 0;
        // Halve the search: at most six steps for a 64-bit word.
        for (int width = BitsPerWord / 2; width != 0; width /= 2)
        {
            ulong low = (1UL << width) - 1;
            if ((free & low) == 0)
            {
                free >>= width;
                bit += width;
            }
        }
        return bit;
    }
}
