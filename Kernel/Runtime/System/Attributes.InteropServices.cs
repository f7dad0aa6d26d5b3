#pragma warning disable 169, 649

namespace System.Runtime.InteropServices;

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
