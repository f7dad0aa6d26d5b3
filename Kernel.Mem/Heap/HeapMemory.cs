using System;

namespace Kernel.Mem.Heap;

/// <summary>Byte fills over raw memory of any length (spans are limited to int-sized lengths).</summary>
internal static unsafe class HeapMemory
{
    private const int Chunk = 1 << 30;

    /// <summary>The caller must own <paramref name="length"/> writable bytes at <paramref name="memory"/>.</summary>
    public static void Fill(byte* memory, ulong length, byte value)
    {
        while (length > 0)
        {
            int piece = (int)Math.Min(length, (ulong)Chunk);
            new Span<byte>(memory, piece).Fill(value);
            memory += piece;
            length -= (ulong)piece;
        }
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes between ranges that do not overlap; the caller must own both.
    /// Word by word, since the kernel's corlib offers no span copy.
    /// </summary>
    public static void Copy(byte* destination, byte* source, ulong length)
    {
        ulong words = length / sizeof(ulong);
        ulong* to = (ulong*)destination;
        ulong* from = (ulong*)source;
        for (ulong i = 0; i < words; i++)
        {
            to[i] = from[i];
        }
        for (ulong i = words * sizeof(ulong); i < length; i++)
        {
            destination[i] = source[i];
        }
    }
}
