namespace Kernel.Boot
{
    /// <summary>Helpers for the NUL-terminated ASCII strings the boot loader hands over.</summary>
    internal static unsafe class CString
    {
        public static int Length(byte* text)
        {
            int length = 0;
            while (text != null && text[length] != 0)
            {
                length++;
            }
            return length;
        }

        public static bool EqualsAscii(byte* text, string value)
        {
            if (text == null)
            {
                return false;
            }
            for (int i = 0; i < value.Length; i++)
            {
                if (text[i] != value[i])
                {
                    return false;
                }
            }
            return text[value.Length] == 0;
        }

        /// <summary>True when <paramref name="word"/> appears delimited by spaces or the ends of the text.</summary>
        public static bool ContainsWord(byte* text, string word)
        {
            if (text == null)
            {
                return false;
            }
            int length = Length(text);
            for (int start = 0; start + word.Length <= length; start++)
            {
                if (start > 0 && text[start - 1] != ' ')
                {
                    continue;
                }
                bool match = true;
                for (int i = 0; i < word.Length && match; i++)
                {
                    match = text[start + i] == word[i];
                }
                int after = start + word.Length;
                if (match && (after == length || text[after] == ' '))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
