namespace System;

/// <summary>The layout of an array object after its MethodTable pointer: the length, padding, the data.</summary>
internal sealed class RawArrayData
{
#pragma warning disable 649
    public uint Length;
    public uint Padding;
    public byte Data;
#pragma warning restore 649
}
