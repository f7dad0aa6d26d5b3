#pragma warning disable 169, 649

namespace System;

public abstract class ValueType
{
}

public abstract class Enum : ValueType
{
}

public struct Nullable<T> where T : struct
{
    private readonly bool hasValue;
    private T value;

    public Nullable(T value)
    {
        this.value = value;
        hasValue = true;
    }

    public readonly bool HasValue => hasValue;

    public readonly T Value => value;

    public readonly T GetValueOrDefault() => value;

    public static implicit operator T?(T value) => new T?(value);

    public static explicit operator T(T? value) => value.Value;
}

public struct RuntimeTypeHandle
{
    private IntPtr _value;
}

public struct RuntimeMethodHandle
{
    private IntPtr _value;
}

public struct RuntimeFieldHandle
{
    private IntPtr _value;
}

public abstract class Type
{
}

internal sealed class RuntimeType : Type
{
}

public interface IDisposable
{
    void Dispose();
}

public sealed class ParamArrayAttribute : Attribute
{
}
