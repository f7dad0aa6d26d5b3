#pragma warning disable 169, 649

namespace System.Diagnostics.CodeAnalysis;

public sealed class UnscopedRefAttribute : Attribute
{
}
