namespace System.Runtime;

/// <summary>The layout of a boxed value after its MethodTable pointer.</summary>
internal sealed class RawData
{
#pragma warning disable 649
    public byte Data;
#pragma warning restore 649
}
