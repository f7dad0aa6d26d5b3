namespace System.Runtime.CompilerServices;

public static unsafe class RuntimeHelpers
{
    public static int OffsetToStringData => 12;

    [Intrinsic]
    public static bool IsReferenceOrContainsReferences<T>() => IsReferenceOrContainsReferences<T>();

    public static int GetHashCode(object o) => o == null ? 0 : o.GetHashCode();

    [Intrinsic]
    public static extern void InitializeArray(Array array, RuntimeFieldHandle fldHandle);

    [Intrinsic]
    public static extern ReadOnlySpan<T> CreateSpan<T>(RuntimeFieldHandle fldHandle);
}
