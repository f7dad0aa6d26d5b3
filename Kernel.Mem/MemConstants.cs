using System.Runtime.CompilerServices;

namespace Kernel.Mem;

/// <summary>Sizes fixed by the x86-64 architecture (Intel SDM Vol. 3A, 4.5).</summary>
public static class MemConstants
{
    public const int PageShift = 12;
    public const ulong PageSize = 1UL << PageShift;
    public const ulong PageMask = PageSize - 1;
    public const int LargePageShift = 21;
    public const ulong LargePageSize = 1UL << LargePageShift;

    public const ulong KiB = 1024;
    public const ulong MiB = 1024 * KiB;
    public const ulong GiB = 1024 * MiB;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong AlignDown(ulong value, ulong alignment) => value & ~(alignment - 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAligned(ulong value, ulong alignment) => (value & (alignment - 1)) == 0;

    /// <summary>
    /// Whether [<paramref name="start"/>, + <paramref name="length"/>) crosses a multiple of the power of two
    /// <paramref name="boundary"/> (0: never), i.e. its first and last units differ above the boundary's bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CrossesBoundary(ulong start, ulong length, ulong boundary)
        => boundary != 0 && ((start ^ (start + length - 1)) & ~(boundary - 1)) != 0;
}
