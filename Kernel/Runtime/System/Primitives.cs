// The primitive value types. ilc recognises them by name in the system module; their single field of
// their own type is how the real corlib declares them too.
#pragma warning disable 169, 649

namespace System;

public struct Void
{
}

public struct Boolean
{
    private bool m_value;
    public override string ToString() => m_value ? "true" : "false";
}

public struct Char
{
    private char m_value;
    public override string ToString() => string.FromChar(m_value);
}

public struct SByte
{
    private sbyte m_value;
    public const sbyte MaxValue = 127;
    public const sbyte MinValue = -128;
    public override string ToString() => Number.FormatInt64(m_value);
}

public struct Byte
{
    private byte m_value;
    public const byte MaxValue = 255;
    public const byte MinValue = 0;
    public override string ToString() => Number.FormatUInt64(m_value);
}

public struct Int16
{
    private short m_value;
    public const short MaxValue = 32767;
    public const short MinValue = -32768;
    public override string ToString() => Number.FormatInt64(m_value);
}

public struct UInt16
{
    private ushort m_value;
    public const ushort MaxValue = 65535;
    public const ushort MinValue = 0;
    public override string ToString() => Number.FormatUInt64(m_value);
}

public struct Int32
{
    private int m_value;
    public const int MaxValue = 0x7fffffff;
    public const int MinValue = unchecked((int)0x80000000);
    public override string ToString() => Number.FormatInt64(m_value);
    public override int GetHashCode() => m_value;
}

public struct UInt32
{
    private uint m_value;
    public const uint MaxValue = 0xffffffff;
    public const uint MinValue = 0;
    public override string ToString() => Number.FormatUInt64(m_value);
    public override int GetHashCode() => (int)m_value;
}

public struct Int64
{
    private long m_value;
    public const long MaxValue = 0x7fffffffffffffffL;
    public const long MinValue = unchecked((long)0x8000000000000000UL);
    public override string ToString() => Number.FormatInt64(m_value);
    public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);
}

public struct UInt64
{
    private ulong m_value;
    public const ulong MaxValue = 0xffffffffffffffffUL;
    public const ulong MinValue = 0;
    public override string ToString() => Number.FormatUInt64(m_value);
    public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);
}

public struct Single
{
    private float m_value;
}

public struct Double
{
    private double m_value;
}

public unsafe struct IntPtr
{
    private void* _value;
    public static readonly IntPtr Zero;
    public IntPtr(void* value) { _value = value; }
    public IntPtr(long value) { _value = (void*)value; }
    public static int Size => 8;
    public override string ToString() => Number.FormatInt64((long)_value);
}

public unsafe struct UIntPtr
{
    private void* _value;
    public static readonly UIntPtr Zero;
    public UIntPtr(void* value) { _value = value; }
    public UIntPtr(ulong value) { _value = (void*)value; }
    public static int Size => 8;
    public override string ToString() => Number.FormatUInt64((ulong)_value);
}
