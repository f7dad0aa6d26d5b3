using System.Runtime.CompilerServices;

namespace Kernel.Mem.Paging;

/// <summary>
/// How 4-level paging splits a 48-bit virtual address (Intel SDM Vol. 3A, 4.5, Figure 4-8 to 4-10):
/// <code>
///  63 ...... 48 | 47 .... 39 | 38 .... 30 | 29 .... 21 | 20 .... 12 | 11 ........ 0
///  sign (= 47)  | PML4 index | PDPT index |  PD index  |  PT index  | page offset
/// </code>
/// Each index selects one of 512 eight-byte entries in a 4 KiB table. A 2 MiB page ends the walk at the
/// PD, so bits 20..0 are its offset; a 1 GiB page ends it at the PDPT, bits 29..0. Bits 63..48 must
/// copy bit 47 ("canonical"), which splits the space into a lower (user) and an upper (kernel) half.
/// </summary>
public static class VirtualAddressLayout
{
    public const int IndexBits = 9;
    public const int EntriesPerTable = 1 << IndexBits;
    public const int IndexMask = EntriesPerTable - 1;
    public const int LevelCount = 4;

    /// <summary>Bits 0..47 are translated; the rest are a sign extension of bit 47.</summary>
    public const int TranslatedBits = 48;

    /// <summary>One past the highest lower-half (user) address.</summary>
    public const ulong LowerHalfEnd = 1UL << (TranslatedBits - 1);

    /// <summary>The lowest upper-half (kernel) address.</summary>
    public const ulong UpperHalfStart = ~(LowerHalfEnd - 1);

    /// <summary>PML4 entries 256..511 map the upper half; every address space shares them.</summary>
    public const int FirstUpperHalfPml4Index = EntriesPerTable / 2;

    /// <summary>True when bits 63..47 are all zero or all one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsCanonical(ulong virtualAddress)
    {
        // Shift bit 47 into the sign position and back: a canonical address survives unchanged.
        const int SignShift = 64 - TranslatedBits;
        return (ulong)(((long)virtualAddress << SignShift) >> SignShift) == virtualAddress;
    }

    /// <summary>True for a canonical address of the upper (kernel) half.</summary>
    public static bool IsUpperHalf(ulong virtualAddress) => virtualAddress >= UpperHalfStart;

    /// <summary>The bit where the index of <paramref name="level"/> starts: 12, 21, 30, 39.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LevelShift(PageTableLevel level) => MemConstants.PageShift + IndexBits * ((int)level - 1);

    /// <summary>The index into the table of <paramref name="level"/> that translating the address selects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TableIndex(ulong virtualAddress, PageTableLevel level)
    {
        return (int)(virtualAddress >> LevelShift(level)) & IndexMask;
    }

    /// <summary>Bytes in a page of <paramref name="size"/>: 4 KiB, 2 MiB or 1 GiB.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong BytesIn(PageSize size) => 1UL << LevelShift((PageTableLevel)size);
}
