using System.Runtime.CompilerServices;

namespace System.Numerics;

/// <summary>Bit tricks on integers; portable loops, since the kernel does not assume LZCNT/TZCNT/POPCNT.</summary>
public static class BitOperations
{
    public static bool IsPow2(uint value) => value != 0 && (value & (value - 1)) == 0;
    public static bool IsPow2(ulong value) => value != 0 && (value & (value - 1)) == 0;
    public static bool IsPow2(int value) => value > 0 && (value & (value - 1)) == 0;
    public static bool IsPow2(long value) => value > 0 && (value & (value - 1)) == 0;
    public static bool IsPow2(nuint value) => IsPow2((ulong)value);

    public static int LeadingZeroCount(uint value) => value == 0 ? 32 : 31 - Log2(value);
    public static int LeadingZeroCount(ulong value) => value == 0 ? 64 : 63 - Log2(value);
    public static int LeadingZeroCount(nuint value) => LeadingZeroCount((ulong)value);

    public static int Log2(uint value) => Log2((ulong)value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Log2(ulong value)
    {
        // Binary search for the highest set bit; Log2(0) is 0, as in the BCL.
        int result = 0;
        if ((value >> 32) != 0) { value >>= 32; result += 32; }
        if ((value >> 16) != 0) { value >>= 16; result += 16; }
        if ((value >> 8) != 0) { value >>= 8; result += 8; }
        if ((value >> 4) != 0) { value >>= 4; result += 4; }
        if ((value >> 2) != 0) { value >>= 2; result += 2; }
        if ((value >> 1) != 0) { result += 1; }
        return result;
    }

    public static int Log2(nuint value) => Log2((ulong)value);

    public static int TrailingZeroCount(uint value) => value == 0 ? 32 : TrailingZeroCount((ulong)value);
    public static int TrailingZeroCount(int value) => TrailingZeroCount((uint)value);
    public static int TrailingZeroCount(long value) => TrailingZeroCount((ulong)value);
    public static int TrailingZeroCount(nuint value) => TrailingZeroCount((ulong)value);

    public static int TrailingZeroCount(ulong value)
    {
        if (value == 0)
        {
            return 64;
        }
        // Isolate the lowest set bit, then take its index.
        return Log2(value & (~value + 1));
    }

    public static int PopCount(uint value) => PopCount((ulong)value);

    public static int PopCount(ulong value)
    {
        value -= (value >> 1) & 0x5555555555555555UL;
        value = (value & 0x3333333333333333UL) + ((value >> 2) & 0x3333333333333333UL);
        value = (value + (value >> 4)) & 0x0F0F0F0F0F0F0F0FUL;
        return (int)((value * 0x0101010101010101UL) >> 56);
    }

    public static uint RoundUpToPowerOf2(uint value) => value <= 1 ? 1 : 1u << (Log2(value - 1) + 1);
    public static ulong RoundUpToPowerOf2(ulong value) => value <= 1 ? 1 : 1UL << (Log2(value - 1) + 1);
    public static nuint RoundUpToPowerOf2(nuint value) => (nuint)RoundUpToPowerOf2((ulong)value);
}
