using System.Runtime;
using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System;

/// <summary>
/// An immutable UTF-16 string laid out as ilc expects: a length, then the characters, then a terminator.
/// There is no garbage collector: every string built at run time lives until freed explicitly, so kernel
/// code prints pieces rather than concatenating in loops.
/// </summary>
public sealed unsafe class String
{
    // ilc's preinitializer reads these two fields by name.
#pragma warning disable 649
    private readonly int _stringLength;
    private char _firstChar;
#pragma warning restore 649

    public static readonly string Empty = "";

    public int Length => _stringLength;

    [IndexerName("Chars")]
    public char this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_stringLength)
            {
                Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowIndexOutOfRangeException();
            }
            return Unsafe.Add(ref _firstChar, index);
        }
    }

    public ref readonly char GetPinnableReference() => ref _firstChar;

    /// <summary>Allocates an uninitialised string of <paramref name="length"/> characters.</summary>
    internal static string FastAllocateString(int length)
    {
        // Any string literal carries the String MethodTable; it is the cheapest way to name it.
        MethodTable* stringType = Empty.m_pMethodTable;
        return Unsafe.As<string>(RuntimeExports.AllocateArray(stringType, length));
    }

    internal static string FromChar(char c)
    {
        string result = FastAllocateString(1);
        result._firstChar = c;
        return result;
    }

    /// <summary>Builds a string from ASCII bytes (e.g. a C string from the boot loader).</summary>
    public static string FromAscii(byte* bytes, int length)
    {
        string result = FastAllocateString(length);
        fixed (char* dst = &result._firstChar)
        {
            for (int i = 0; i < length; i++)
            {
                dst[i] = (char)bytes[i];
            }
        }
        return result;
    }

    public static string Concat(string a, string b)
    {
        a ??= Empty;
        b ??= Empty;
        string result = FastAllocateString(a.Length + b.Length);
        fixed (char* dst = &result._firstChar)
        {
            a.CopyTo(dst);
            b.CopyTo(dst + a.Length);
        }
        return result;
    }

    // Each concatenation makes exactly one string: with no garbage collector, an intermediate would leak.
    public static string Concat(string a, string b, string c)
    {
        string[] parts = { a, b, c };
        string result = Concat(parts);
        Internal.Runtime.RuntimeHost.Free(parts);
        return result;
    }

    public static string Concat(string a, string b, string c, string d)
    {
        string[] parts = { a, b, c, d };
        string result = Concat(parts);
        Internal.Runtime.RuntimeHost.Free(parts);
        return result;
    }

    public static string Concat(params string[] values)
    {
        int length = 0;
        for (int i = 0; i < values.Length; i++)
        {
            length += values[i] == null ? 0 : values[i].Length;
        }
        string result = FastAllocateString(length);
        fixed (char* dst = &result._firstChar)
        {
            int at = 0;
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] != null)
                {
                    values[i].CopyTo(dst + at);
                    at += values[i].Length;
                }
            }
        }
        return result;
    }

    public static string Concat(object a, object b) => Concat(a?.ToString(), b?.ToString());

    public static string Concat(object a, object b, object c) => Concat(a?.ToString(), b?.ToString(), c?.ToString());

    private void CopyTo(char* destination)
    {
        fixed (char* src = &_firstChar)
        {
            Buffer.Memmove((byte*)destination, (byte*)src, (nuint)_stringLength * 2);
        }
    }

    public string Substring(int start, int length)
    {
        if ((uint)start > (uint)_stringLength || (uint)length > (uint)(_stringLength - start))
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowArgumentOutOfRangeException();
        }
        string result = FastAllocateString(length);
        fixed (char* src = &_firstChar)
        fixed (char* dst = &result._firstChar)
        {
            Buffer.Memmove((byte*)dst, (byte*)(src + start), (nuint)length * 2);
        }
        return result;
    }

    public string Substring(int start) => Substring(start, _stringLength - start);

    public bool StartsWith(string prefix)
    {
        if (prefix.Length > _stringLength)
        {
            return false;
        }
        for (int i = 0; i < prefix.Length; i++)
        {
            if (this[i] != prefix[i])
            {
                return false;
            }
        }
        return true;
    }

    public static bool Equals(string a, string b)
    {
        if ((object)a == (object)b)
        {
            return true;
        }
        if ((object)a == null || (object)b == null || a._stringLength != b._stringLength)
        {
            return false;
        }
        for (int i = 0; i < a._stringLength; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object obj) => obj is string other && Equals(this, other);

    public bool Equals(string other) => Equals(this, other);

    public static bool operator ==(string a, string b) => Equals(a, b);

    public static bool operator !=(string a, string b) => !Equals(a, b);

    public override int GetHashCode()
    {
        // FNV-1a over the UTF-16 code units.
        uint hash = 2166136261;
        for (int i = 0; i < _stringLength; i++)
        {
            hash = (hash ^ this[i]) * 16777619;
        }
        return (int)hash;
    }

    public override string ToString() => this;

    internal ReadOnlySpan<char> AsReadOnlySpan() => new ReadOnlySpan<char>(ref _firstChar, _stringLength);

    public static implicit operator ReadOnlySpan<char>(string value) => (object)value == null ? default : value.AsReadOnlySpan();
}
