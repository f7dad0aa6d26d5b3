using System.Runtime.CompilerServices;

namespace System.Threading;

/// <summary>
/// Atomic operations the compiler expands inline (<c>lock cmpxchg</c>, <c>xchg</c>), as in the BCL: each
/// method is an intrinsic whose own body, a call to itself, is never used.
/// </summary>
public static class Interlocked
{
    [Intrinsic]
    public static int CompareExchange(ref int location1, int value, int comparand) => CompareExchange(ref location1, value, comparand);

    [Intrinsic]
    public static int Exchange(ref int location1, int value) => Exchange(ref location1, value);
}
