using System.Runtime.CompilerServices;
using Internal.Runtime;
using Internal.Runtime.CompilerHelpers;

namespace System.Runtime;

/// <summary>
/// Casting helpers ilc calls by name for <c>is</c>, <c>as</c>, casts and covariant array stores.
/// Interface maps in NativeAOT list every interface a type implements, inherited ones included.
/// Variance on generic interfaces is not supported.
/// </summary>
internal static unsafe class TypeCast
{
    internal static bool IsAssignable(MethodTable* source, MethodTable* target)
    {
        if (source == target)
        {
            return true;
        }
        if (target->IsInterface)
        {
            return ImplementsInterface(source, target);
        }
        for (MethodTable* type = source->BaseType; type != null; type = type->BaseType)
        {
            if (type == target)
            {
                return true;
            }
        }
        if (source->IsArray && (target->IsObject || target->IsSystemArray))
        {
            // An array's related type is its element type, not its base: every array is an Array and an Object.
            return true;
        }
        if (source->IsArray && target->IsArray)
        {
            // Covariance of reference-type arrays: string[] is an object[], int[][] an object[]. Arrays
            // of value types are not covariant (int[] is not an object[]).
            MethodTable* sourceElement = source->ElementType;
            MethodTable* targetElement = target->ElementType;
            return !sourceElement->IsValueType && IsAssignable(sourceElement, targetElement);
        }
        return false;
    }

    private static bool ImplementsInterface(MethodTable* type, MethodTable* interfaceType)
    {
        MethodTable** map = type->InterfaceMap;
        for (int i = 0; i < type->_numInterfaces; i++)
        {
            if (map[i] == interfaceType)
            {
                return true;
            }
        }
        return false;
    }

    public static object IsInstanceOfClass(MethodTable* target, object obj)
    {
        if (obj == null)
        {
            return null;
        }
        MethodTable* type = obj.m_pMethodTable;
        if (type->IsParameterized)
        {
            // Arrays: the related type is the element type, so the class walk below does not apply.
            return IsAssignable(type, target) ? obj : null;
        }
        for (; type != null; type = type->BaseType)
        {
            if (type == target)
            {
                return obj;
            }
        }
        return null;
    }

    public static object IsInstanceOfInterface(MethodTable* target, object obj)
    {
        if (obj == null)
        {
            return null;
        }
        return ImplementsInterface(obj.m_pMethodTable, target) ? obj : null;
    }

    public static object IsInstanceOfAny(MethodTable* target, object obj)
    {
        if (obj == null)
        {
            return null;
        }
        return IsAssignable(obj.m_pMethodTable, target) ? obj : null;
    }

    public static object IsInstanceOfException(MethodTable* target, object obj) => IsInstanceOfClass(target, obj);

    public static object CheckCastClass(MethodTable* target, object obj)
    {
        if (obj == null || obj.m_pMethodTable == target)
        {
            return obj;
        }
        return CheckCastClassSpecial(target, obj);
    }

    public static object CheckCastClassSpecial(MethodTable* target, object obj)
    {
        if (IsInstanceOfClass(target, obj) == null)
        {
            ThrowHelpers.ThrowInvalidCastException();
        }
        return obj;
    }

    public static object CheckCastInterface(MethodTable* target, object obj)
    {
        if (obj != null && IsInstanceOfInterface(target, obj) == null)
        {
            ThrowHelpers.ThrowInvalidCastException();
        }
        return obj;
    }

    public static object CheckCastAny(MethodTable* target, object obj)
    {
        if (obj != null && IsInstanceOfAny(target, obj) == null)
        {
            ThrowHelpers.ThrowInvalidCastException();
        }
        return obj;
    }


    public static void StelemRef(object[] array, nint index, object obj)
    {
        if ((nuint)index >= (uint)array.Length)
        {
            ThrowHelpers.ThrowIndexOutOfRangeException();
        }
        ref object element = ref Unsafe.As<byte, object>(ref Unsafe.As<RawArrayData>(array).Data);
        if (obj != null)
        {
            MethodTable* elementType = array.m_pMethodTable->ElementType;
            if (obj.m_pMethodTable != elementType && !IsAssignable(obj.m_pMethodTable, elementType))
            {
                ThrowHelpers.ThrowArrayTypeMismatchException();
            }
        }
        Unsafe.Add(ref element, index) = obj;
    }

    public static ref object LdelemaRef(object[] array, nint index, MethodTable* elementType)
    {
        if ((nuint)index >= (uint)array.Length)
        {
            ThrowHelpers.ThrowIndexOutOfRangeException();
        }
        if (array.m_pMethodTable->ElementType != elementType)
        {
            ThrowHelpers.ThrowArrayTypeMismatchException();
        }
        ref object element = ref Unsafe.As<byte, object>(ref Unsafe.As<RawArrayData>(array).Data);
        return ref Unsafe.Add(ref element, index);
    }
}
