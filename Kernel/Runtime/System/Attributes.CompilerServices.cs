#pragma warning disable 169, 649

namespace System.Runtime.CompilerServices;

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
