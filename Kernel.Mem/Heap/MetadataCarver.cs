namespace Kernel.Mem.Heap;

/// <summary>
/// Hands out consecutive, 8-byte aligned pieces of the metadata memory given to the heap. The sizing
/// functions (<c>MetadataBytes</c>) add up the same pieces with <see cref="Round"/>, so sizing and carving
/// cannot disagree as long as both take the pieces in the same order.
/// </summary>
internal unsafe struct MetadataCarver
{
    public const ulong Alignment = 8;

    private byte* _next;
    private readonly byte* _end;

    /// <summary>The caller must own <paramref name="length"/> writable, zeroed bytes at <paramref name="memory"/>, 8-byte aligned.</summary>
    public MetadataCarver(byte* memory, ulong length)
    {
        _next = memory;
        _end = memory + length;
    }

    public byte* Used => _next;

    /// <summary>The bytes a piece of <paramref name="bytes"/> occupies.</summary>
    public static ulong Round(ulong bytes) => MemConstants.AlignUp(bytes, Alignment);

    /// <summary>
    /// Takes a piece; null when the memory is too short (the caller sized it wrongly). Nothing is written: the
    /// heap's metadata is handed over zeroed, and zero is every structure's empty state, so a metadata page that
    /// is backed on first touch (a program's heap) costs a frame only once it is really used.
    /// </summary>
    public byte* Take(ulong bytes)
    {
        ulong rounded = Round(bytes);
        if ((ulong)(_end - _next) < rounded)
        {
            return null;
        }
        byte* piece = _next;
        _next += rounded;
        return piece;
    }
}
