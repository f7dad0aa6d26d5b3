namespace System;

public static class MemoryExtensions
{
    // C# 14 converts string to ReadOnlySpan<char> through this method, so it must build the span
    // itself rather than rely on that conversion (which would call back here).
    public static ReadOnlySpan<char> AsSpan(this string text) => text == null ? default : text.AsReadOnlySpan();

    public static Span<T> AsSpan<T>(this T[] array) => new Span<T>(array);
}
