using Kernel.Drivers;

namespace Kernel.Shell;

/// <summary>
/// A typed line split into words. Words are kept as ranges of the line buffer, so parsing allocates
/// nothing; numbers are decimal or 0x-prefixed hexadecimal.
/// </summary>
internal sealed unsafe class CommandLine
{
    public const int MaxLength = 256;
    public const int MaxWords = 16;

    private readonly char[] _text = new char[MaxLength];
    private readonly int[] _starts = new int[MaxWords];
    private readonly int[] _lengths = new int[MaxWords];
    private int _length;
    private int _count;
    private bool _tooLong;
    private bool _tooManyWords;

    public int Count => _count;

    /// <summary>
    /// Whether more characters were typed than the line holds, or more words than it splits: such a line is
    /// refused whole, since what is left of it (a pasted line cut short, a trailing <c>&amp;</c> lost) may be
    /// another command.
    /// </summary>
    public bool Overflowed => _tooLong || _tooManyWords;

    public bool TooLong => _tooLong;

    public int Length => _length;

    public char[] Buffer => _text;

    public void SetLength(int length) => SetLength(length, false);

    /// <summary>Takes the first <paramref name="length"/> characters of the buffer; <paramref name="dropped"/> when typing went past it.</summary>
    public void SetLength(int length, bool dropped)
    {
        _length = length;
        _tooLong = dropped;
        Split();
    }

    private void Split()
    {
        _count = 0;
        _tooManyWords = false;
        int i = 0;
        while (i < _length)
        {
            while (i < _length && _text[i] == ' ')
            {
                i++;
            }
            if (i == _length)
            {
                break;
            }
            if (_count == MaxWords)
            {
                _tooManyWords = true;
                break;
            }
            _starts[_count] = i;
            while (i < _length && _text[i] != ' ')
            {
                i++;
            }
            _lengths[_count] = i - _starts[_count];
            _count++;
        }
    }

    public int WordStart(int index) => index < _count ? _starts[index] : 0;

    public int WordLength(int index) => index < _count ? _lengths[index] : 0;

    /// <summary>Whether the characters [start, start+length) of the line are exactly <paramref name="value"/>.</summary>
    public bool RangeIs(int start, int length, string value)
    {
        if (length != value.Length || start < 0 || start + length > _length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (_text[start + i] != value[i])
            {
                return false;
            }
        }
        return true;
    }

    public bool WordIs(int index, string value)
    {
        if (index >= _count || _lengths[index] != value.Length)
        {
            return false;
        }
        int start = _starts[index];
        for (int i = 0; i < value.Length; i++)
        {
            if (_text[start + i] != value[i])
            {
                return false;
            }
        }
        return true;
    }

    public void WriteWord(int index)
    {
        if (index >= _count)
        {
            return;
        }
        for (int i = 0; i < _lengths[index]; i++)
        {
            Console.Write(_text[_starts[index] + i]);
        }
    }

    /// <summary>Parses word <paramref name="index"/> as a number; false on any malformed or overflowing input.</summary>
    public bool TryParseNumber(int index, out ulong value)
    {
        value = 0;
        if (index >= _count)
        {
            return false;
        }
        int start = _starts[index];
        int length = _lengths[index];
        bool hex = length > 2 && _text[start] == '0' && (_text[start + 1] == 'x' || _text[start + 1] == 'X');
        int i = hex ? 2 : 0;
        ulong radix = hex ? 16UL : 10UL;
        for (; i < length; i++)
        {
            char c = _text[start + i];
            ulong digit;
            if (c >= '0' && c <= '9')
            {
                digit = (ulong)(c - '0');
            }
            else if (hex && c >= 'a' && c <= 'f')
            {
                digit = (ulong)(c - 'a' + 10);
            }
            else if (hex && c >= 'A' && c <= 'F')
            {
                digit = (ulong)(c - 'A' + 10);
            }
            else
            {
                return false;
            }
            if (value > (ulong.MaxValue - digit) / radix)
            {
                return false;
            }
            value = value * radix + digit;
        }
        return true;
    }
}
