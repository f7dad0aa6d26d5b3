namespace System;

/// <summary>Number-to-text conversions that allocate a string (use the console's writers in hot paths).</summary>
internal static unsafe class Number
{
    // 20 digits for ulong.MaxValue, one more for the sign of long.MinValue.
    private const int MaxChars = 21;

    public static string FormatUInt64(ulong value)
    {
        char* buffer = stackalloc char[MaxChars];
        int start = WriteDigits(buffer, MaxChars, value);
        return Build(buffer + start, MaxChars - start);
    }

    /// <summary>Formats with a leading '-' when negative, in one allocation (no intermediate string to leak).</summary>
    public static string FormatInt64(long value)
    {
        char* buffer = stackalloc char[MaxChars];
        ulong magnitude = value >= 0 ? (ulong)value : (ulong)(-(value + 1)) + 1;
        int start = WriteDigits(buffer, MaxChars, magnitude);
        if (value < 0)
        {
            buffer[--start] = '-';
        }
        return Build(buffer + start, MaxChars - start);
    }

    /// <summary>Writes the decimal digits of <paramref name="value"/> ending at <paramref name="end"/>; returns the first index.</summary>
    private static int WriteDigits(char* buffer, int end, ulong value)
    {
        int start = end;
        do
        {
            buffer[--start] = (char)('0' + (int)(value % 10));
            value /= 10;
        }
        while (value != 0);
        return start;
    }

    private static string Build(char* chars, int length)
    {
        string result = string.FastAllocateString(length);
        fixed (char* dst = result)
        {
            for (int i = 0; i < length; i++)
            {
                dst[i] = chars[i];
            }
        }
        return result;
    }
}
