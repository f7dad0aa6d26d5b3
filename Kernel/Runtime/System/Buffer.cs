namespace System;

/// <summary>Bulk memory moves that ilc's generated code and the corlib call by name.</summary>
public static unsafe class Buffer
{
    public static void Memmove(byte* destination, byte* source, nuint length)
    {
        System.Runtime.RuntimeExports.memmove(destination, source, length);
    }

    internal static void Memmove(ref byte destination, ref byte source, nuint length)
    {
        Memmove((byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref destination), (byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref source), length);
    }

    // No GC, so moving references needs no barrier.
    internal static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint byteCount)
    {
        Memmove(ref destination, ref source, byteCount);
    }
}
