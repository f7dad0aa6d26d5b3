using System.Runtime.CompilerServices;

namespace System;

/// <summary>The base of every array; ilc reads the element count from <c>_numComponents</c>.</summary>
public abstract class Array
{
#pragma warning disable 649
    private int _numComponents;
#pragma warning restore 649

    public int Length => _numComponents;

    public static void Clear<T>(T[] array)
    {
        new Span<T>(array).Clear();
    }
}

/// <summary>The generic view of arrays that ilc uses for T[].</summary>
public class Array<T> : Array
{
}
