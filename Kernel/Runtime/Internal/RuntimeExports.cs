using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace System.Runtime;

using Internal.Runtime;

/// <summary>
/// The helpers ilc's generated code links against by symbol name: allocation (where <c>new</c> meets the
/// heap of the world the corlib runs in, see <see cref="RuntimeHost"/>), write barriers (plain stores:
/// there is no GC), GC transitions (no-ops), boxing, memory primitives and the fatal paths.
/// </summary>
internal static unsafe class RuntimeExports
{
    [RuntimeExport("RhpNewFast")]
    internal static object RhpNewFast(MethodTable* type)
    {
        return AllocateObject(type);
    }

    [RuntimeExport("RhpNewFinalizable")]
    internal static object RhpNewFinalizable(MethodTable* type)
    {
        // Finalizers never run: the kernel frees objects explicitly.
        return AllocateObject(type);
    }

    [RuntimeExport("RhpNewArrayFast")]
    internal static object RhpNewArrayFast(MethodTable* type, int length)
    {
        return AllocateArray(type, length);
    }

    [RuntimeExport("RhpNewPtrArrayFast")]
    internal static object RhpNewPtrArrayFast(MethodTable* type, int length)
    {
        return AllocateArray(type, length);
    }

    [RuntimeExport("RhpNewArray")]
    internal static object RhpNewArray(MethodTable* type, int length)
    {
        return AllocateArray(type, length);
    }

    [RuntimeExport("RhNewString")]
    internal static object RhNewString(MethodTable* type, int length)
    {
        return AllocateArray(type, length);
    }

    internal static object AllocateObject(MethodTable* type)
    {
        byte* memory = (byte*)RuntimeHost.AllocateZeroed(type->BaseSize);
        *(MethodTable**)memory = type;
        nint address = (nint)memory;
        return Unsafe.As<nint, object>(ref address);
    }

    internal static object AllocateArray(MethodTable* type, int length)
    {
        if (length < 0)
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
        }
        ulong size = type->BaseSize + (ulong)length * type->ComponentSize;
        size = (size + 7) & ~7UL;
        byte* memory = (byte*)RuntimeHost.AllocateZeroed((nuint)size);
        *(MethodTable**)memory = type;
        *(int*)(memory + 8) = length;
        nint address = (nint)memory;
        return Unsafe.As<nint, object>(ref address);
    }

    // Write barriers: with no collector a reference store is a plain store. (RhpByRefAssignRef, which
    // must preserve registers the JIT does not expect to be clobbered, is in assembly.)
    [RuntimeExport("RhpAssignRef")]
    internal static void RhpAssignRef(void** destination, void* value)
    {
        *destination = value;
    }

    [RuntimeExport("RhpCheckedAssignRef")]
    internal static void RhpCheckedAssignRef(void** destination, void* value)
    {
        *destination = value;
    }

    [RuntimeExport("RhpCheckedLockCmpXchg")]
    internal static void* RhpCheckedLockCmpXchg(void** destination, void* value, void* comparand)
    {
        void* original = *destination;
        if (original == comparand)
        {
            *destination = value;
        }
        return original;
    }

    [RuntimeExport("RhpCheckedXchg")]
    internal static void* RhpCheckedXchg(void** destination, void* value)
    {
        void* original = *destination;
        *destination = value;
        return original;
    }

    // GC transitions: the kernel has no collector to coordinate with.
    [RuntimeExport("RhpPInvoke")]
    internal static void RhpPInvoke(nint frame)
    {
    }

    [RuntimeExport("RhpPInvokeReturn")]
    internal static void RhpPInvokeReturn(nint frame)
    {
    }

    [RuntimeExport("RhpReversePInvoke")]
    internal static void RhpReversePInvoke(nint frame)
    {
    }

    [RuntimeExport("RhpReversePInvokeReturn")]
    internal static void RhpReversePInvokeReturn(nint frame)
    {
    }

    [RuntimeExport("RhpGcPoll")]
    internal static void RhpGcPoll()
    {
    }

    [RuntimeExport("RhpFallbackFailFast")]
    internal static void RhpFallbackFailFast()
    {
        RuntimeHost.FailFast("runtime fail-fast");
    }

    [RuntimeExport("RhpThrowEx")]
    internal static void RhpThrowEx(object exception)
    {
        RuntimeHost.Throw(exception);
    }

    [RuntimeExport("RhpRethrow")]
    internal static void RhpRethrow()
    {
        RuntimeHost.FailFast("rethrow without an unwinder");
    }

    [RuntimeExport("RhBox")]
    internal static object RhBox(MethodTable* type, ref byte data)
    {
        object result = AllocateObject(type);
        memmove((byte*)Unsafe.AsPointer(ref Unsafe.As<RawData>(result).Data), (byte*)Unsafe.AsPointer(ref data), (nuint)type->ValueTypeSize);
        return result;
    }

    [RuntimeExport("RhUnbox2")]
    internal static ref byte RhUnbox2(MethodTable* type, object obj)
    {
        // Exact type, or an enum unboxed as its underlying primitive (same element type code, as
        // ECMA-335 III.4.32 allows).
        MethodTable* boxed = obj == null ? null : obj.m_pMethodTable;
        bool sameUnderlying = boxed != null && type->IsPrimitiveOrEnum && boxed->ElementTypeCode == type->ElementTypeCode;
        if (boxed == null || (boxed != type && !sameUnderlying))
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowInvalidCastException();
        }
        return ref Unsafe.As<RawData>(obj).Data;
    }

    [RuntimeExport("RhUnboxNullable")]
    internal static void RhUnboxNullable(ref byte data, MethodTable* type, object obj)
    {
        // Nullable<T> is {bool hasValue; T value}; the value starts at the element type's alignment.
        MethodTable* valueType = type->_relatedType;
        int valueSize = type->ValueTypeSize;
        memset((byte*)Unsafe.AsPointer(ref data), 0, (nuint)valueSize);
        if (obj == null)
        {
            return;
        }
        if (obj.m_pMethodTable != valueType)
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowInvalidCastException();
        }
        int innerSize = valueType->ValueTypeSize;
        int offset = valueSize - innerSize;
        data = 1;
        memmove((byte*)Unsafe.AsPointer(ref data) + offset, (byte*)Unsafe.AsPointer(ref Unsafe.As<RawData>(obj).Data), (nuint)innerSize);
    }

    [RuntimeExport("RhUnboxTypeTest")]
    internal static void RhUnboxTypeTest(MethodTable* type, MethodTable* boxType)
    {
        if (type != boxType)
        {
            Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowInvalidCastException();
        }
    }

    // The memory primitives are string-instruction stubs in runtime.asm.
    [RuntimeImport("*", "memset")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    internal static extern void* memset(byte* destination, int value, nuint length);

    [RuntimeImport("*", "memmove")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    internal static extern void* memmove(byte* destination, byte* source, nuint length);
}
