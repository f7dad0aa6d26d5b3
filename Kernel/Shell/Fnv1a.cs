namespace Kernel.Shell;

/// <summary>
/// The 32-bit FNV-1a hash, for a one-line fingerprint of data read from a device that a test can
/// recompute from the image file.
/// </summary>
internal static unsafe class Fnv1a
{
    public const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    /// <summary>Folds <paramref name="length"/> bytes into <paramref name="hash"/> (start with <see cref="OffsetBasis"/>).</summary>
    public static uint Append(uint hash, byte* data, ulong length)
    {
        for (ulong i = 0; i < length; i++)
        {
            hash = (hash ^ data[i]) * Prime;
        }
        return hash;
    }
}
