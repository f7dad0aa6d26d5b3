namespace System;

internal static unsafe class SpanHelpers
{
    internal static void Memmove(ref byte destination, ref byte source, nuint length) => Buffer.Memmove(ref destination, ref source, length);

    internal static void ClearWithoutReferences(ref byte destination, nuint length)
    {
        System.Runtime.RuntimeExports.memset((byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref destination), 0, length);
    }

    internal static void ClearWithReferences(ref nint destination, nuint pointerCount)
    {
        System.Runtime.RuntimeExports.memset((byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref destination), 0, pointerCount * 8);
    }

    internal static void Fill(ref byte destination, byte value, nuint length)
    {
        System.Runtime.RuntimeExports.memset((byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref destination), value, length);
    }
}
