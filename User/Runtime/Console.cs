using UserRuntime;

namespace System;

/// <summary>
/// Standard output of a user program: text is gathered in a line buffer and handed to write(1, ...) at
/// each newline (so that a line from one process is never cut by another's), when the buffer is full, and
/// at exit. Characters outside ASCII print as '?', as on the kernel's console. Allocates nothing.
/// </summary>
public static unsafe class Console
{
    private const int Capacity = 256;

    private struct LineBuffer
    {
        public fixed byte Bytes[Capacity];
    }

    private static LineBuffer s_line;
    private static int s_length;

    public static void Write(char c)
    {
        if (s_length == Capacity)
        {
            Flush();
        }
        fixed (byte* bytes = s_line.Bytes)
        {
            bytes[s_length++] = (byte)(c < 0x80 ? c : '?');
        }
        if (c == '\n')
        {
            Flush();
        }
    }

    public static void Write(string text)
    {
        if (text == null)
        {
            return;
        }
        for (int i = 0; i < text.Length; i++)
        {
            Write(text[i]);
        }
    }

    public static void WriteLine(string text)
    {
        Write(text);
        Write('\n');
    }

    public static void WriteLine() => Write('\n');

    public static void Write(long value)
    {
        if (value < 0)
        {
            Write('-');
            Write((ulong)(-(value + 1)) + 1);
            return;
        }
        Write((ulong)value);
    }

    public static void Write(ulong value)
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
            Write(digits[--count]);
        }
    }

    public static void Write(int value) => Write((long)value);

    /// <summary>Writes 0x and 16 hexadecimal digits.</summary>
    public static void WriteHex(ulong value)
    {
        Write('0');
        Write('x');
        for (int shift = 60; shift >= 0; shift -= 4)
        {
            int nibble = (int)((value >> shift) & 0xF);
            Write((char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10));
        }
    }

    /// <summary>Hands what is buffered to the kernel.</summary>
    public static void Flush()
    {
        if (s_length == 0)
        {
            return;
        }
        fixed (byte* bytes = s_line.Bytes)
        {
            Sys.Write(1, bytes, (ulong)s_length);
        }
        s_length = 0;
    }
}
