namespace System
{
    /// <summary>Number-to-text conversions that allocate a string (use the console's writers in hot paths).</summary>
    internal static unsafe class Number
    {
        public static string FormatUInt64(ulong value)
        {
            char* buffer = stackalloc char[20];
            int start = 20;
            do
            {
                buffer[--start] = (char)('0' + (int)(value % 10));
                value /= 10;
            }
            while (value != 0);
            return Build(buffer + start, 20 - start);
        }

        public static string FormatInt64(long value)
        {
            if (value >= 0)
            {
                return FormatUInt64((ulong)value);
            }
            return string.Concat("-", FormatUInt64((ulong)(-(value + 1)) + 1));
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
}
