using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System;

/// <summary>
/// The root of every reference type. Its first (and only) field is the MethodTable pointer that ilc's
/// code reads for virtual calls, casts and interface dispatch.
/// </summary>
public unsafe class Object
{
#pragma warning disable 649
    internal MethodTable* m_pMethodTable;
#pragma warning restore 649

    public Object()
    {
    }

    public virtual bool Equals(object obj) => this == obj;

    public virtual int GetHashCode()
    {
        object self = this;
        nint address = Unsafe.As<object, nint>(ref self);
        return (int)(address ^ (address >> 32));
    }

    public virtual string ToString() => "System.Object";

    /// <summary>The MethodTable of this object (the identity of its exact type).</summary>
    internal MethodTable* GetMethodTable() => m_pMethodTable;
}
