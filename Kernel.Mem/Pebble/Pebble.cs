using System;
using System.Runtime.InteropServices;

namespace Kernel.Mem.Pebble;

/// <summary>
/// The header in front of every pebble, free or in use, inside its bucket: the pebble's data begins right
/// after it. Pebbles tile their bucket in address order; the links are byte offsets from the bucket header
/// (0 = none, since offset 0 is the bucket header itself). Offsets and block sizes are multiples of
/// <see cref="Granule"/>.
/// </summary>
/// <remarks>
/// When a free merges a pebble into its lower neighbour, the absorbed header's <see cref="Magic"/> is erased:
/// a later free of the same pointer then finds no pebble there (the reference left 'ROCK' behind, so a double
/// free of a merged pebble passed the check).
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct Pebble
{
    /// <summary>'ROCK' as the bytes read in memory order.</summary>
    public const uint ValidMagic = 'R' | ('O' << 8) | ('C' << 16) | ('K' << 24);

    /// <summary>Written over the magic of a header that a merge absorbed.</summary>
    public const uint ErasedMagic = 0;

    public const ulong HeaderBytes = 64;

    /// <summary>Placement unit, minimum alignment and minimum data size.</summary>
    public const ulong Granule = 64;

    /// <summary>The smallest block: a header and one granule of data. Smaller remainders are not split off.</summary>
    public const ulong MinimumBlockBytes = HeaderBytes + Granule;

    /// <summary>Bytes of the debug name kept in the header (ASCII; longer names are cut).</summary>
    public const int NameBytes = 16;

    public uint Magic;

    public PebbleState State;

    /// <summary>log2 of the requested alignment.</summary>
    public byte AlignmentShift;

    /// <summary>log2 of the requested boundary plus one; 0 when the request had none.</summary>
    public byte BoundaryShiftPlusOne;

    private byte _reserved0;

    /// <summary>The task that owns the pebble (see <c>FreeOwnedBy</c>).</summary>
    public uint Owner;

    /// <summary>The flags of the request that made the pebble (never the header's own state).</summary>
    public PebbleFlags RequestFlags;

    private ushort _reserved1;

    public uint Previous;

    public uint Next;

    /// <summary>Block size: this header plus the data.</summary>
    public ulong Size;

    /// <summary>The size the caller asked for (0 when free).</summary>
    public ulong Requested;

    /// <summary>Virtual address of the bucket header: must match the bucket the pointer was found in.</summary>
    public ulong Bucket;

    /// <summary>The name, bytes 0-7 and 8-15, little-endian, zero-padded.</summary>
    public ulong Name0;

    public ulong Name1;

    public ulong Capacity => Size - HeaderBytes;

    public ulong Alignment => 1UL << AlignmentShift;

    public ulong Boundary => BoundaryShiftPlusOne == 0 ? 0 : 1UL << (BoundaryShiftPlusOne - 1);

    /// <summary>Packs the first <see cref="NameBytes"/> characters of <paramref name="name"/>, non-ASCII as '?'.</summary>
    public static void PackName(string name, out ulong name0, out ulong name1)
    {
        name0 = 0;
        name1 = 0;
        if ((object)name == null)
        {
            return;
        }
        // Every allocation packs its name: one pass per word over the characters, without a bounds check or a
        // branch on the word for each.
        int length = name.Length < NameBytes ? name.Length : NameBytes;
        fixed (char* chars = name)
        {
            name0 = PackWord(chars, length < WordBytes ? length : WordBytes);
            name1 = length > WordBytes ? PackWord(chars + WordBytes, length - WordBytes) : 0;
        }
    }

    private const int WordBytes = sizeof(ulong);

    /// <summary>The first <paramref name="count"/> (at most 8) characters at <paramref name="chars"/> as little-endian bytes.</summary>
    private static ulong PackWord(char* chars, int count)
    {
        ulong word = 0;
        for (int i = count - 1; i >= 0; i--)
        {
            char c = chars[i];
            word = (word << 8) | (c < 0x80 ? c : (ulong)'?');
        }
        return word;
    }

    /// <summary>Byte <paramref name="index"/> of a packed name; 0 past its end.</summary>
    public static byte NameByte(ulong name0, ulong name1, int index)
    {
        if ((uint)index >= NameBytes)
        {
            return 0;
        }
        ulong word = index < 8 ? name0 : name1;
        return (byte)(word >> (8 * (index & 7)));
    }

    /// <summary>Characters before the first zero byte of a packed name.</summary>
    public static int NameLength(ulong name0, ulong name1)
    {
        int length = 0;
        while (length < NameBytes && NameByte(name0, name1, length) != 0)
        {
            length++;
        }
        return length;
    }

    /// <summary>Writes a packed name into <paramref name="destination"/>; returns the characters written.</summary>
    public static int CopyName(ulong name0, ulong name1, Span<char> destination)
    {
        int length = NameLength(name0, name1);
        if (length > destination.Length)
        {
            length = destination.Length;
        }
        for (int i = 0; i < length; i++)
        {
            destination[i] = (char)NameByte(name0, name1, i);
        }
        return length;
    }
}
