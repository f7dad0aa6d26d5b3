using System.Runtime.CompilerServices;
using Internal.Runtime.CompilerHelpers;

namespace System;

/// <summary>A bounds-checked view of contiguous memory: an array, a stack buffer or raw memory.</summary>
public readonly ref struct Span<T>
{
    private readonly ref T _reference;
    private readonly int _length;

    public Span(T[] array)
    {
        if (array == null)
        {
            this = default;
            return;
        }
        _reference = ref Unsafe.As<byte, T>(ref Unsafe.As<RawArrayData>(array).Data);
        _length = array.Length;
    }

    public Span(T[] array, int start, int length)
    {
        if (array == null || (uint)start > (uint)array.Length || (uint)length > (uint)(array.Length - start))
        {
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        }
        _reference = ref Unsafe.Add(ref Unsafe.As<byte, T>(ref Unsafe.As<RawArrayData>(array).Data), start);
        _length = length;
    }

    public unsafe Span(void* pointer, int length)
    {
        _reference = ref Unsafe.AsRef<T>(pointer);
        _length = length;
    }

    internal Span(ref T reference, int length)
    {
        _reference = ref reference;
        _length = length;
    }

    public int Length => _length;

    public bool IsEmpty => _length == 0;

    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_length)
            {
                ThrowHelpers.ThrowIndexOutOfRangeException();
            }
            return ref Unsafe.Add(ref _reference, index);
        }
    }

    public ref T GetPinnableReference() => ref _reference;

    public Span<T> Slice(int start)
    {
        if ((uint)start > (uint)_length)
        {
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        }
        return new Span<T>(ref Unsafe.Add(ref _reference, start), _length - start);
    }

    public Span<T> Slice(int start, int length)
    {
        if ((uint)start > (uint)_length || (uint)length > (uint)(_length - start))
        {
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        }
        return new Span<T>(ref Unsafe.Add(ref _reference, start), length);
    }

    public unsafe void Clear()
    {
        SpanHelpers.ClearWithoutReferences(ref Unsafe.As<T, byte>(ref _reference), (nuint)_length * (nuint)Unsafe.SizeOf<T>());
    }

    public void Fill(T value)
    {
        if (Unsafe.SizeOf<T>() == 1)
        {
            SpanHelpers.Fill(ref Unsafe.As<T, byte>(ref _reference), Unsafe.As<T, byte>(ref value), (nuint)_length);
            return;
        }
        for (int i = 0; i < _length; i++)
        {
            Unsafe.Add(ref _reference, i) = value;
        }
    }

    public void CopyTo(Span<T> destination)
    {
        if ((uint)_length > (uint)destination.Length)
        {
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        }
        Buffer.Memmove(ref Unsafe.As<T, byte>(ref destination._reference), ref Unsafe.As<T, byte>(ref _reference), (nuint)_length * (nuint)Unsafe.SizeOf<T>());
    }

    public static implicit operator Span<T>(T[] array) => new Span<T>(array);

    public static implicit operator ReadOnlySpan<T>(Span<T> span) => new ReadOnlySpan<T>(ref span._reference, span._length);
}
