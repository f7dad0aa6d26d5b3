namespace System.Runtime.CompilerServices
{
    /// <summary>Reinterpretation primitives; ilc supplies every body (they are JIT intrinsics).</summary>
    public static unsafe class Unsafe
    {
        [Intrinsic] public static extern T As<T>(object o) where T : class;
        [Intrinsic] public static extern ref TTo As<TFrom, TTo>(ref TFrom source);
        [Intrinsic] public static extern void* AsPointer<T>(ref T value);
        [Intrinsic] public static extern ref T AsRef<T>(void* source);
        [Intrinsic] public static extern ref T AsRef<T>(scoped ref readonly T source);
        [Intrinsic] public static extern ref T Add<T>(ref T source, int elementOffset);
        [Intrinsic] public static extern ref T Add<T>(ref T source, nint elementOffset);
        [Intrinsic] public static extern ref T Add<T>(ref T source, nuint elementOffset);
        [Intrinsic] public static extern void* Add<T>(void* source, int elementOffset);
        [Intrinsic] public static extern ref T AddByteOffset<T>(ref T source, nint byteOffset);
        [Intrinsic] public static extern ref T AddByteOffset<T>(ref T source, nuint byteOffset);
        [Intrinsic] public static extern int SizeOf<T>();
        [Intrinsic] public static extern T Read<T>(void* source);
        [Intrinsic] public static extern void Write<T>(void* destination, T value);
        [Intrinsic] public static extern T ReadUnaligned<T>(void* source);
        [Intrinsic] public static extern T ReadUnaligned<T>(ref readonly byte source);
        [Intrinsic] public static extern void WriteUnaligned<T>(void* destination, T value);
        [Intrinsic] public static extern void WriteUnaligned<T>(ref byte destination, T value);
        [Intrinsic] public static extern bool AreSame<T>(ref readonly T left, ref readonly T right);
        [Intrinsic] public static extern bool IsNullRef<T>(ref readonly T source);
        [Intrinsic] public static extern ref T NullRef<T>();
        [Intrinsic] public static extern nint ByteOffset<T>(ref readonly T origin, ref readonly T target);
        [Intrinsic] public static extern void SkipInit<T>(out T value);
        [Intrinsic] public static extern void InitBlock(void* startAddress, byte value, uint byteCount);
        [Intrinsic] public static extern void InitBlockUnaligned(ref byte startAddress, byte value, uint byteCount);
        [Intrinsic] public static extern void CopyBlock(void* destination, void* source, uint byteCount);
        [Intrinsic] public static extern void CopyBlockUnaligned(ref byte destination, ref readonly byte source, uint byteCount);
    }

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

    /// <summary>What ilc passes to the class-constructor check: the address of a not-yet-run cctor.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    public struct StaticClassConstructionContext
    {
        public nint cctorMethodAddress;
    }

    /// <summary>
    /// Runs a type's static constructor on first access. The kernel is single-threaded while statics
    /// initialise, so clearing the address before the call is enough to run each cctor exactly once.
    /// </summary>
    internal static unsafe class ClassConstructorRunner
    {
        private static object CheckStaticClassConstructionReturnGCStaticBase(StaticClassConstructionContext* context, object gcStaticBase)
        {
            EnsureClassConstructorRun(context);
            return gcStaticBase;
        }

        private static nint CheckStaticClassConstructionReturnNonGCStaticBase(StaticClassConstructionContext* context, nint nonGcStaticBase)
        {
            EnsureClassConstructorRun(context);
            return nonGcStaticBase;
        }

        private static void EnsureClassConstructorRun(StaticClassConstructionContext* context)
        {
            nint cctor = context->cctorMethodAddress;
            if (cctor != 0)
            {
                context->cctorMethodAddress = 0;
                ((delegate*<void>)cctor)();
            }
        }
    }
}

namespace System
{
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
}
