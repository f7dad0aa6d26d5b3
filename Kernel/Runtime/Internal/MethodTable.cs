using System.Runtime.InteropServices;

namespace Internal.Runtime;

/// <summary>
/// The type descriptor ilc emits for every type (NativeAOT's MethodTable, formerly EEType). The fixed
/// part is followed by the vtable, the interface map, then 32-bit relative pointers to optional data:
/// type manager, writable data, [dispatch map], [finalizer], [sealed virtual slots].
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MethodTable
{
    // Flag bits in the upper half of _flags (EETypeFlags in the runtime sources).
    private const uint KindMask = 0x00030000;
    private const uint ParameterizedKind = 0x00020000;
    private const uint HasDispatchMapFlag = 0x00040000;
    private const uint HasFinalizerFlag = 0x00100000;
    private const uint HasSealedVTableEntriesFlag = 0x00400000;
    private const uint HasComponentSizeFlag = 0x80000000;
    private const int ElementTypeShift = 26;
    private const uint ElementTypeMask = 0x7C000000;
    private const uint FirstPrimitiveElementType = 0x02; // Boolean
    private const uint FirstStructElementType = 0x10;    // ValueType; below it: primitives and enums
    private const uint FirstReferenceElementType = 0x14; // Class; below it: primitives, structs, Nullable
    private const uint InterfaceElementType = 0x15;
    private const uint SystemArrayElementType = 0x16;
    private const uint SzArrayElementType = 0x18;
    private const uint ArrayElementType = 0x17;

    internal uint _flags;
    internal uint _baseSize;
    internal MethodTable* _relatedType;
    internal ushort _numVtableSlots;
    internal ushort _numInterfaces;
    internal uint _hashCode;

    /// <summary>Bytes per array element or string character; 0 for other types.</summary>
    internal ushort ComponentSize => (_flags & HasComponentSizeFlag) != 0 ? (ushort)_flags : (ushort)0;

    internal bool HasComponentSize => (_flags & HasComponentSizeFlag) != 0;

    internal uint BaseSize => _baseSize;

    internal uint ElementTypeCode => (_flags & ElementTypeMask) >> ElementTypeShift;

    internal bool IsInterface => ElementTypeCode == InterfaceElementType;

    internal bool IsValueType => ElementTypeCode < FirstReferenceElementType;

    /// <summary>System.Object: the only class without a base class.</summary>
    internal bool IsObject => ElementTypeCode == FirstReferenceElementType && _relatedType == null;

    internal bool IsSystemArray => ElementTypeCode == SystemArrayElementType;

    /// <summary>A primitive, or an enum (NativeAOT gives an enum its underlying primitive's code).</summary>
    internal bool IsPrimitiveOrEnum => ElementTypeCode >= FirstPrimitiveElementType && ElementTypeCode < FirstStructElementType;

    internal bool IsArray
    {
        get
        {
            uint elementType = (_flags & ElementTypeMask) >> ElementTypeShift;
            return elementType == SzArrayElementType || elementType == ArrayElementType;
        }
    }

    internal bool IsParameterized => (_flags & KindMask) == ParameterizedKind;

    /// <summary>The base class (null for Object and interfaces); for arrays this is the element type instead.</summary>
    internal MethodTable* BaseType => IsParameterized ? null : _relatedType;

    internal MethodTable* ElementType => IsParameterized ? _relatedType : null;

    internal bool HasDispatchMap => (_flags & HasDispatchMapFlag) != 0;

    internal bool HasSealedVirtuals => (_flags & HasSealedVTableEntriesFlag) != 0;

    internal int ValueTypeSize => (int)_baseSize - 16;

    internal nint* Vtable
    {
        get
        {
            fixed (MethodTable* self = &this)
            {
                return (nint*)(self + 1);
            }
        }
    }

    internal MethodTable** InterfaceMap => (MethodTable**)(Vtable + _numVtableSlots);

    private byte* OptionalFields => (byte*)(InterfaceMap + _numInterfaces);

    private static void* FollowRelative(byte* field) => field + *(int*)field;

    /// <summary>The dispatch map: four ushort counts, then {interface index, interface slot, impl slot} rows.</summary>
    internal ushort* DispatchMap
    {
        get
        {
            if (!HasDispatchMap)
            {
                return null;
            }
            // type manager, writable data, then the dispatch map.
            return (ushort*)FollowRelative(OptionalFields + 8);
        }
    }

    /// <summary>Returns the code address of sealed virtual slot <paramref name="index"/>.</summary>
    internal nint GetSealedVirtualSlot(int index)
    {
        byte* field = OptionalFields + 8;
        if (HasDispatchMap)
        {
            field += 4;
        }
        if ((_flags & HasFinalizerFlag) != 0)
        {
            field += 4;
        }
        int* table = (int*)FollowRelative(field);
        return (nint)FollowRelative((byte*)(table + index));
    }
}
