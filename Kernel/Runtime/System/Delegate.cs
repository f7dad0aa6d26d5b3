namespace System;

/// <summary>
/// A delegate as ilc builds it: the field names and the three Initialize* methods are looked up by name.
/// For static targets ilc routes the call through a thunk that finds the real target in
/// <c>_extraFunctionPointerOrData</c>.
/// </summary>
public abstract class Delegate
{
#pragma warning disable 649
    internal object _firstParameter;
    internal object _helperObject;
    internal nint _extraFunctionPointerOrData;
    internal nint _functionPointer;
#pragma warning restore 649

    /// <summary>
    /// The object the delegate is bound to: a lambda's closure or an instance method's receiver; for a
    /// static method null (or the bound first argument of a closed static delegate).
    /// </summary>
    public object Target => _firstParameter == (object)this ? _helperObject : _firstParameter;

    private void InitializeClosedStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
    {
        _extraFunctionPointerOrData = functionPointer;
        _helperObject = firstParameter;
        _functionPointer = functionPointerThunk;
        _firstParameter = this;
    }

    private void InitializeOpenStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
    {
        _firstParameter = this;
        _functionPointer = functionPointerThunk;
        _extraFunctionPointerOrData = functionPointer;
    }

    private void InitializeClosedInstance(object firstParameter, nint functionPointer)
    {
        _functionPointer = functionPointer;
        _firstParameter = firstParameter;
    }

    private void InitializeClosedInstanceSlow(object firstParameter, nint functionPointer)
    {
        _functionPointer = functionPointer;
        _firstParameter = firstParameter;
    }

    private void InitializeClosedInstanceToInterface(object firstParameter, nint dispatchCell)
    {
        Internal.Runtime.RuntimeHost.FailFast("delegates to interface methods are not supported");
    }

    private void InitializeClosedInstanceWithGVMResolution(object firstParameter, nint functionPointer)
    {
        Internal.Runtime.RuntimeHost.FailFast("delegates to generic virtual methods are not supported");
    }
}

public abstract class MulticastDelegate : Delegate
{
}

public delegate void Action();

public delegate void Action<in T>(T arg);

public delegate void Action<in T1, in T2>(T1 arg1, T2 arg2);

public delegate TResult Func<out TResult>();

public delegate TResult Func<in T, out TResult>(T arg);

public delegate TResult Func<in T1, in T2, out TResult>(T1 arg1, T2 arg2);
