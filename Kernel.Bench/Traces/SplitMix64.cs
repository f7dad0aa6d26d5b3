namespace Kernel.Bench.Traces;

/// <summary>
/// The SplitMix64 generator (Steele, Lea and Flood, 2014). The traces use it rather than System.Random so
/// that a seed names the same trace on every runtime version, and the recorded results stay comparable.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E37_79B9_7F4A_7C15;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [<paramref name="minimum"/>, <paramref name="maximum"/>]; the modulo bias is far below what a benchmark can notice.</summary>
    public uint Between(uint minimum, uint maximum) => minimum + (uint)(Next() % (maximum - minimum + 1));
}
