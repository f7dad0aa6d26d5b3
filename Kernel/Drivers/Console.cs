namespace Kernel.Drivers;

/// <summary>
/// The kernel console: every character goes to the screen (VGA text mode or a framebuffer, see TextScreen) and to COM1, so a person at the
/// screen and a test reading the serial line see the same text. Colours apply to the screen only; the serial
/// stream stays plain so scripted sessions can match it. Number writers allocate nothing.
/// </summary>
internal static unsafe class Console
{
    public static void Write(char c)
    {
        Put(c);
        TextScreen.UpdateCursor();
    }

    /// <summary>Writes one character to both consoles without moving the screen cursor (callers sync it once).</summary>
    private static void Put(char c)
    {
        TextScreen.Write(c);
        if (c == '\n')
        {
            SerialPort.Write((byte)'\r');
        }
        SerialPort.Write((byte)(c < 0x80 ? c : '?'));
    }

    public static void Write(string text)
    {
        if (text == null)
        {
            return;
        }
        for (int i = 0; i < text.Length; i++)
        {
            Put(text[i]);
        }
        TextScreen.UpdateCursor();
    }

    public static void WriteLine(string text)
    {
        Write(text);
        Write('\n');
    }

    public static void WriteLine() => Write('\n');

    /// <summary>Writes <paramref name="text"/> left-aligned in a column of <paramref name="width"/> characters.</summary>
    public static void WritePadded(string text, int width)
    {
        Write(text);
        for (int i = text.Length; i < width; i++)
        {
            Put(' ');
        }
        TextScreen.UpdateCursor();
    }

    public static void Write(string text, ConsoleColor color)
    {
        TextScreen.SetColor(color);
        Write(text);
        TextScreen.SetColor(ConsoleColor.LightGray);
    }

    public static void SetColor(ConsoleColor color) => TextScreen.SetColor(color);

    public static void ResetColor() => TextScreen.SetColor(ConsoleColor.LightGray);

    /// <summary>Writes the ASCII bytes of a NUL-terminated C string (at most <paramref name="max"/>).</summary>
    public static void WriteAscii(byte* text, int max)
    {
        for (int i = 0; i < max && text[i] != 0; i++)
        {
            Put((char)text[i]);
        }
        TextScreen.UpdateCursor();
    }

    public static void WriteDecimal(ulong value)
    {
        char* digits = stackalloc char[20];
        int count = 0;
        do
        {
            digits[count++] = (char)('0' + (int)(value % 10));
            value /= 10;
        }
        while (value != 0);
        while (count > 0)
        {
            Put(digits[--count]);
        }
        TextScreen.UpdateCursor();
    }

    public static void WriteDecimal(long value)
    {
        if (value < 0)
        {
            Write('-');
            WriteDecimal((ulong)(-(value + 1)) + 1);
            return;
        }
        WriteDecimal((ulong)value);
    }

    /// <summary>How many columns <see cref="WriteDecimal(ulong)"/> takes for <paramref name="value"/>.</summary>
    public static int DecimalDigits(ulong value)
    {
        int digits = 1;
        for (; value >= 10; value /= 10)
        {
            digits++;
        }
        return digits;
    }

    /// <summary>Writes <paramref name="value"/> right-aligned in <paramref name="width"/> columns.</summary>
    public static void WriteDecimal(ulong value, int width)
    {
        for (int i = DecimalDigits(value); i < width; i++)
        {
            Write(' ');
        }
        WriteDecimal(value);
    }

    /// <summary>Writes 0x and <paramref name="digits"/> hexadecimal digits (16 for an address).</summary>
    public static void WriteHex(ulong value, int digits = 16)
    {
        Put('0');
        Put('x');
        WriteHexDigits(value, digits);
    }

    /// <summary>Writes the low <paramref name="digits"/> hexadecimal digits of <paramref name="value"/>, no prefix.</summary>
    public static void WriteHexDigits(ulong value, int digits)
    {
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        {
            int nibble = (int)((value >> shift) & 0xF);
            Put((char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10));
        }
        TextScreen.UpdateCursor();
    }
}
