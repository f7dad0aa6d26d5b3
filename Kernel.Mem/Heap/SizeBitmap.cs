using System.Numerics;

namespace Kernel.Mem.Heap;

/// <summary>
/// A set of sizes 0..capacity-1 as a hierarchical bitmap: bit i of a word at level k+1 is set exactly
/// when word i of level k is non-zero. Insert and remove touch one word per level only while a word
/// changes between empty and non-empty; the largest member is found by descending from the single top
/// word with LeadingZeroCount. With 64-way fan-out a million sizes need four levels. The level offsets
/// sit in the caller's memory ahead of the words, not in a fixed buffer of this struct: the struct lives in
/// a managed object, and a pointer into one is not stable on the host, where the GC moves objects.
/// </summary>
internal unsafe struct SizeBitmap
{
    private const int WordShift = 6;
    private const int WordBits = 1 << WordShift;
    private const int MaximumLevels = 8;

    private ulong* _words;
    private ulong* _levelOffsets;
    private int _levels;

    /// <summary>The 8-byte words the levels of a set of <paramref name="capacity"/> sizes occupy.</summary>
    public static ulong WordsNeeded(ulong capacity)
    {
        ulong total = MaximumLevels;
        ulong bits = capacity == 0 ? 1 : capacity;
        while (true)
        {
            ulong words = (bits + WordBits - 1) >> WordShift;
            total += words;
            if (words == 1)
            {
                return total;
            }
            bits = words;
        }
    }

    /// <summary>
    /// The caller must own <see cref="WordsNeeded"/>(<paramref name="capacity"/>) zeroed words at
    /// <paramref name="words"/> for as long as the set is used.
    /// </summary>
    public void Initialize(ulong* words, ulong capacity)
    {
        _levelOffsets = words;
        _words = words + MaximumLevels;
        _levels = 0;
        ulong offset = 0;
        ulong bits = capacity == 0 ? 1 : capacity;
        while (true)
        {
            ulong count = (bits + WordBits - 1) >> WordShift;
            _levelOffsets[_levels++] = offset;
            offset += count;
            if (count == 1)
            {
                return;
            }
            bits = count;
        }
    }

    public bool Contains(ulong size) => (_words[size >> WordShift] & (1UL << (int)(size & (WordBits - 1)))) != 0;

    public void Add(ulong size)
    {
        ulong index = size;
        for (int level = 0; level < _levels; level++)
        {
            ulong* word = _words + _levelOffsets[level] + (index >> WordShift);
            bool wasEmpty = *word == 0;
            *word |= 1UL << (int)(index & (WordBits - 1));
            if (!wasEmpty)
            {
                return;
            }
            index >>= WordShift;
        }
    }

    public void Remove(ulong size)
    {
        ulong index = size;
        for (int level = 0; level < _levels; level++)
        {
            ulong* word = _words + _levelOffsets[level] + (index >> WordShift);
            *word &= ~(1UL << (int)(index & (WordBits - 1)));
            if (*word != 0)
            {
                return;
            }
            index >>= WordShift;
        }
    }

    /// <summary>The largest member, or 0 when the set is empty (size 0 is never a member).</summary>
    public ulong Largest()
    {
        int level = _levels - 1;
        ulong word = _words[_levelOffsets[level]];
        if (word == 0)
        {
            return 0;
        }
        ulong index = (ulong)(WordBits - 1 - BitOperations.LeadingZeroCount(word));
        while (level > 0)
        {
            level--;
            word = _words[_levelOffsets[level] + index];
            index = (index << WordShift) + (ulong)(WordBits - 1 - BitOperations.LeadingZeroCount(word));
        }
        return index;
    }
}
