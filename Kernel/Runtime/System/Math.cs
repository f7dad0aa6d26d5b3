using System.Runtime.CompilerServices;

namespace System;

public static class Math
{
    public static int Min(int a, int b) => a < b ? a : b;
    public static uint Min(uint a, uint b) => a < b ? a : b;
    public static long Min(long a, long b) => a < b ? a : b;
    public static ulong Min(ulong a, ulong b) => a < b ? a : b;
    public static nint Min(nint a, nint b) => a < b ? a : b;
    public static nuint Min(nuint a, nuint b) => a < b ? a : b;
    public static int Max(int a, int b) => a > b ? a : b;
    public static uint Max(uint a, uint b) => a > b ? a : b;
    public static long Max(long a, long b) => a > b ? a : b;
    public static ulong Max(ulong a, ulong b) => a > b ? a : b;
    public static nint Max(nint a, nint b) => a > b ? a : b;
    public static nuint Max(nuint a, nuint b) => a > b ? a : b;
    public static int Abs(int a) => a < 0 ? -a : a;
    public static long Abs(long a) => a < 0 ? -a : a;

    // Checked floating-point to integer conversions (conv.ovf.* on a double): ilc calls these by name.
    // NaN and out-of-range values fail the comparisons and panic with OverflowException.
    internal static int ConvertToInt32Checked(double value)
    {
        if (!(value > -2147483649.0 && value < 2147483648.0))
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
        }
        return (int)value;
    }

    internal static uint ConvertToUInt32Checked(double value)
    {
        if (!(value > -1.0 && value < 4294967296.0))
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
        }
        return (uint)value;
    }

    internal static long ConvertToInt64Checked(double value)
    {
        if (!(value >= -9223372036854775808.0 && value < 9223372036854775808.0))
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
        }
        return (long)value;
    }

    internal static ulong ConvertToUInt64Checked(double value)
    {
        if (!(value > -1.0 && value < 18446744073709551616.0))
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
        }
        return (ulong)value;
    }
}
