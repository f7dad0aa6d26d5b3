namespace Kernel.Boot;

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

    /// <summary>
    /// The value of option NAME=VALUE in a space-separated command line: <paramref name="value"/> points at it
    /// and <paramref name="valueLength"/> counts its bytes (up to the next space). False when absent.
    /// </summary>
    public static bool TryGetOption(byte* text, string name, out byte* value, out int valueLength)
    {
        value = null;
        valueLength = 0;
        int length = Length(text);
        for (int start = 0; start + name.Length < length; start++)
        {
            if ((start > 0 && text[start - 1] != ' ') || text[start + name.Length] != '=')
            {
                continue;
            }
            bool match = true;
            for (int i = 0; i < name.Length && match; i++)
            {
                match = text[start + i] == name[i];
            }
            if (!match)
            {
                continue;
            }
            value = text + start + name.Length + 1;
            while (value[valueLength] != 0 && value[valueLength] != ' ')
            {
                valueLength++;
            }
            return true;
        }
        return false;
    }
}
