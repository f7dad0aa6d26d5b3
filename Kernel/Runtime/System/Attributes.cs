// The attribute types csc and ilc look up by name.
#pragma warning disable 169, 649

namespace System
{
    public abstract class Attribute
    {
    }

    public enum AttributeTargets
    {
        Assembly = 0x0001,
        Module = 0x0002,
        Class = 0x0004,
        Struct = 0x0008,
        Enum = 0x0010,
        Constructor = 0x0020,
        Method = 0x0040,
        Property = 0x0080,
        Field = 0x0100,
        Event = 0x0200,
        Interface = 0x0400,
        Parameter = 0x0800,
        Delegate = 0x1000,
        ReturnValue = 0x2000,
        GenericParameter = 0x4000,
        All = 0x7fff,
    }

    [AttributeUsage(AttributeTargets.Class, Inherited = true)]
    public sealed class AttributeUsageAttribute : Attribute
    {
        public AttributeUsageAttribute(AttributeTargets validOn)
        {
        }

        public bool AllowMultiple { get; set; }
        public bool Inherited { get; set; }
    }

    public sealed class FlagsAttribute : Attribute
    {
    }

    public sealed class ObsoleteAttribute : Attribute
    {
        public ObsoleteAttribute()
        {
        }

        public ObsoleteAttribute(string message)
        {
        }

        public ObsoleteAttribute(string message, bool error)
        {
        }
    }

    public sealed class CLSCompliantAttribute : Attribute
    {
        public CLSCompliantAttribute(bool isCompliant)
        {
        }
    }

    public sealed class ThreadStaticAttribute : Attribute
    {
    }
}

namespace System.Diagnostics
{
    public sealed class ConditionalAttribute : Attribute
    {
        public ConditionalAttribute(string conditionString)
        {
        }
    }

    public sealed class DebuggerHiddenAttribute : Attribute
    {
    }

    public sealed class DebuggerStepThroughAttribute : Attribute
    {
    }
}

namespace System.Diagnostics.CodeAnalysis
{
    public sealed class UnscopedRefAttribute : Attribute
    {
    }
}

namespace System.Reflection
{
    public sealed class DefaultMemberAttribute : Attribute
    {
        public DefaultMemberAttribute(string memberName)
        {
        }
    }
}

namespace System.Runtime
{
    /// <summary>Marks a method as a runtime helper that ilc's generated code calls by symbol name.</summary>
    internal sealed class RuntimeExportAttribute : Attribute
    {
        public RuntimeExportAttribute(string entry)
        {
        }
    }

    /// <summary>Binds an extern method to a symbol defined elsewhere (an assembly stub), called with the SysV ABI.</summary>
    internal sealed class RuntimeImportAttribute : Attribute
    {
        public RuntimeImportAttribute(string lib)
        {
        }

        public RuntimeImportAttribute(string lib, string entry)
        {
        }
    }
}

namespace System.Runtime.CompilerServices
{
    public sealed class IsVolatile
    {
    }

    public sealed class ExtensionAttribute : Attribute
    {
    }

    public sealed class IsByRefLikeAttribute : Attribute
    {
    }

    public sealed class IsReadOnlyAttribute : Attribute
    {
    }

    public sealed class IsUnmanagedAttribute : Attribute
    {
    }

    public sealed class IsExternalInit
    {
    }

    public sealed class ScopedRefAttribute : Attribute
    {
    }

    public sealed class RefSafetyRulesAttribute : Attribute
    {
        public RefSafetyRulesAttribute(int version)
        {
        }
    }

    public sealed class NullableAttribute : Attribute
    {
        public NullableAttribute(byte value)
        {
        }

        public NullableAttribute(byte[] value)
        {
        }
    }

    public sealed class NullableContextAttribute : Attribute
    {
        public NullableContextAttribute(byte value)
        {
        }
    }

    public sealed class CompilerGeneratedAttribute : Attribute
    {
    }

    public sealed class FixedBufferAttribute : Attribute
    {
        public FixedBufferAttribute(Type elementType, int length)
        {
        }
    }

    public sealed class IndexerNameAttribute : Attribute
    {
        public IndexerNameAttribute(string indexerName)
        {
        }
    }

    public sealed class InlineArrayAttribute : Attribute
    {
        public InlineArrayAttribute(int length)
        {
        }
    }

    public sealed class RequiresLocationAttribute : Attribute
    {
    }

    public sealed class CallerArgumentExpressionAttribute : Attribute
    {
        public CallerArgumentExpressionAttribute(string parameterName)
        {
        }
    }

    public sealed class ParamCollectionAttribute : Attribute
    {
    }

    public sealed class InternalsVisibleToAttribute : Attribute
    {
        public InternalsVisibleToAttribute(string assemblyName)
        {
        }
    }

    public sealed class SkipLocalsInitAttribute : Attribute
    {
    }

    /// <summary>ilc supplies the body of methods marked with this attribute.</summary>
    internal sealed class IntrinsicAttribute : Attribute
    {
    }

    public enum MethodImplOptions
    {
        Unmanaged = 0x0004,
        NoInlining = 0x0008,
        ForwardRef = 0x0010,
        Synchronized = 0x0020,
        NoOptimization = 0x0040,
        PreserveSig = 0x0080,
        AggressiveInlining = 0x0100,
        AggressiveOptimization = 0x0200,
        InternalCall = 0x1000,
    }

    public sealed class MethodImplAttribute : Attribute
    {
        public MethodImplAttribute(MethodImplOptions methodImplOptions)
        {
        }
    }

    public static class RuntimeFeature
    {
        public const string PortablePdb = nameof(PortablePdb);
        public const string DefaultImplementationsOfInterfaces = nameof(DefaultImplementationsOfInterfaces);
        public const string UnmanagedSignatureCallingConvention = nameof(UnmanagedSignatureCallingConvention);
        public const string CovariantReturnsOfClasses = nameof(CovariantReturnsOfClasses);
        public const string VirtualStaticsInInterfaces = nameof(VirtualStaticsInInterfaces);
        public const string NumericIntPtr = nameof(NumericIntPtr);
        public const string ByRefFields = nameof(ByRefFields);
        public const string ByRefLikeGenerics = nameof(ByRefLikeGenerics);
    }
}

namespace System.Runtime.InteropServices
{
    public enum CharSet
    {
        None = 1,
        Ansi = 2,
        Unicode = 3,
        Auto = 4,
    }

    public enum LayoutKind
    {
        Sequential = 0,
        Explicit = 2,
        Auto = 3,
    }

    public enum CallingConvention
    {
        Winapi = 1,
        Cdecl = 2,
        StdCall = 3,
        ThisCall = 4,
        FastCall = 5,
    }

    public sealed class StructLayoutAttribute : Attribute
    {
        public int Pack;
        public int Size;
        public CharSet CharSet;

        public StructLayoutAttribute(LayoutKind layoutKind)
        {
        }
    }

    public sealed class FieldOffsetAttribute : Attribute
    {
        public FieldOffsetAttribute(int offset)
        {
        }
    }

    public sealed class DllImportAttribute : Attribute
    {
        public string EntryPoint;
        public CallingConvention CallingConvention;

        public DllImportAttribute(string dllName)
        {
        }
    }

    public sealed class UnmanagedCallersOnlyAttribute : Attribute
    {
        public string EntryPoint;
        public Type[] CallConvs;
    }

    public sealed class SuppressGCTransitionAttribute : Attribute
    {
    }

    public sealed class InAttribute : Attribute
    {
    }

    public sealed class OutAttribute : Attribute
    {
    }

    public interface IDynamicInterfaceCastable
    {
        // ilc looks this up unconditionally; nothing in the kernel implements dynamic casting.
        private static RuntimeTypeHandle GetDynamicInterfaceImplementation(IDynamicInterfaceCastable instance, RuntimeTypeHandle interfaceType) => default;
    }
}
