using System.Runtime.CompilerServices;
using Internal.Runtime;
using Internal.Runtime.CompilerHelpers;

namespace System.Runtime
{
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
}

namespace Internal.Runtime.CompilerHelpers
{
    /// <summary>
    /// The throw helpers ilc's code calls for failed checks. With no unwinder each becomes a panic that
    /// names the exception (the kernel's page-fault handler reports null dereferences the same way).
    /// </summary>
    internal static class ThrowHelpers
    {
        public static void ThrowNullReferenceException() => Kernel.Panic.RuntimeFault("NullReferenceException", "object reference not set to an instance of an object");
        public static void ThrowIndexOutOfRangeException() => Kernel.Panic.RuntimeFault("IndexOutOfRangeException", "index was outside the bounds of the array");
        public static void ThrowInvalidCastException() => Kernel.Panic.RuntimeFault("InvalidCastException", "specified cast is not valid");
        public static void ThrowOverflowException() => Kernel.Panic.RuntimeFault("OverflowException", "arithmetic operation resulted in an overflow");
        public static void ThrowDivideByZeroException() => Kernel.Panic.RuntimeFault("DivideByZeroException", "attempted to divide by zero");
        public static void ThrowArrayTypeMismatchException() => Kernel.Panic.RuntimeFault("ArrayTypeMismatchException", "array element type mismatch");
        public static void ThrowArgumentOutOfRangeException() => Kernel.Panic.RuntimeFault("ArgumentOutOfRangeException", "argument out of range");
        public static void ThrowArgumentException() => Kernel.Panic.RuntimeFault("ArgumentException", "invalid argument");
        public static void ThrowPlatformNotSupportedException() => Kernel.Panic.RuntimeFault("PlatformNotSupportedException", "operation not supported by the kernel runtime");
        public static void ThrowNotImplementedException() => Kernel.Panic.RuntimeFault("NotImplementedException", "not implemented");
        public static void ThrowInvalidProgramException() => Kernel.Panic.RuntimeFault("InvalidProgramException", "invalid program");
        public static void ThrowInvalidProgramExceptionWithArgument(int id, nint method) => ThrowInvalidProgramException();
        public static void ThrowMarshalDirectiveException() => Kernel.Panic.RuntimeFault("MarshalDirectiveException", "unsupported marshalling");
        public static void ThrowTypeLoadException() => Kernel.Panic.RuntimeFault("TypeLoadException", "type could not be loaded");
        public static void ThrowTypeLoadExceptionWithArgument(int id, nint className, nint typeName, nint assemblyName) => ThrowTypeLoadException();
        public static void ThrowMissingMethodException() => Kernel.Panic.RuntimeFault("MissingMethodException", "method not compiled");
        public static void ThrowMissingFieldException() => Kernel.Panic.RuntimeFault("MissingFieldException", "field not found");
        public static void ThrowFileNotFoundException() => Kernel.Panic.RuntimeFault("FileNotFoundException", "file not found");
        public static void ThrowBadImageFormatException() => Kernel.Panic.RuntimeFault("BadImageFormatException", "bad image");
        public static void ThrowEntryPointNotFoundException() => Kernel.Panic.RuntimeFault("EntryPointNotFoundException", "entry point not found");
        public static void ThrowAmbiguousMatchException() => Kernel.Panic.RuntimeFault("AmbiguousMatchException", "ambiguous match");
        public static void ThrowFeatureBodyRemoved() => Kernel.Panic.RuntimeFault("NotSupportedException", "method body removed by the compiler");
        public static void ThrowInstanceBodyRemoved() => ThrowFeatureBodyRemoved();
        public static void ThrowUnavailableType() => ThrowTypeLoadException();
        public static void ThrowNotSupportedInlineArrayEqualsGetHashCode() => ThrowFeatureBodyRemoved();
    }
}
