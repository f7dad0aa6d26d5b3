using System;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Internal.Runtime;

/// <summary>
/// Resolves interface calls. ilc's code calls through a dispatch cell: <c>{stub, cache}</c> where the
/// cache word names the interface (a relative pointer tagged in its low two bits); the cell block ends
/// with a terminator (stub 0) whose cache word holds <c>cellType &lt;&lt; 16 | slot</c>. The assembly
/// stub RhpInitialDynamicInterfaceDispatch saves the argument registers and calls <see cref="Resolve"/>,
/// then jumps to the returned code address. The stub first looks the pair up in the cache itself (same
/// hash, same layout: runtime.asm's INTERFACE_CACHE_BITS and INTERFACE_CELL_SHIFT), so Resolve sees only
/// the misses and the calls made before the cache exists.
/// </summary>
internal static unsafe class InterfaceDispatch
{
    // Low two bits of the cell's cache word as ilc 10 emits it (checked against the linked image: a
    // tag-3 word plus the address of the word is the interface's MethodTable itself).
    private const nint CacheTagMask = 3;
    private const nint InterfacePointerTag = 1;
    private const nint RelativePointerTag = 3;
    // runtime.asm's INTERFACE_CACHE_BITS and INTERFACE_CELL_SHIFT: the stub's lookup uses the same hash.
    private const int CacheBits = 9;
    private const int CellShift = 7;
    private const int CacheSize = 1 << CacheBits;

    [StructLayout(LayoutKind.Sequential)]
    private struct DispatchCell
    {
        public nint Stub;
        public nint Cache;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CacheEntry
    {
        public MethodTable* Type;
        public DispatchCell* Cell;
        public nint Target;
    }

    // A direct-mapped cache of resolved targets keyed by (object type, call-site cell).
    private static CacheEntry* s_cache;

    /// <summary>Calls resolved by walking the dispatch maps (the stub's cache lookup failed).</summary>
    public static ulong Misses;

    [RuntimeImport("*", "KernelSetInterfaceCache")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void PublishCache(CacheEntry* cache);

    [UnmanagedCallersOnly(EntryPoint = "KernelResolveInterfaceCall")]
    private static nint Resolve(nint thisPointer, nint cellAddress)
    {
        if (thisPointer == 0)
        {
            CompilerHelpers.ThrowHelpers.ThrowNullReferenceException();
        }
        MethodTable* type = *(MethodTable**)thisPointer;
        DispatchCell* cell = (DispatchCell*)cellAddress;

        CacheEntry* entry = Lookup(type, cell);
        if (entry != null && entry->Type == type && entry->Cell == cell)
        {
            // The entry was written while the stub's lookup was in flight (an interrupt resolved it).
            return entry->Target;
        }
        Misses++;

        MethodTable* interfaceType = InterfaceOf(cell);
        ushort slot = SlotOf(cell);
        nint target = FindImplementation(type, interfaceType, slot);
        if (target == 0)
        {
            RuntimeHost.FailFast("interface method not implemented (missing dispatch map entry)");
        }
        if (entry != null)
        {
            // An interrupt handler may dispatch through the cache while this entry is rewritten:
            // invalidate it first and publish the key last, so a half-written entry never matches.
            entry->Type = null;
            entry->Cell = cell;
            entry->Target = target;
            entry->Type = type;
        }
        return target;
    }

    private static CacheEntry* Lookup(MethodTable* type, DispatchCell* cell)
    {
        if (s_cache == null)
        {
            s_cache = (CacheEntry*)RuntimeHost.AllocateZeroed((nuint)(CacheSize * sizeof(CacheEntry)));
            if (s_cache == null)
            {
                return null;
            }
            PublishCache(s_cache);
        }
        // Both keys vary only in their low bits (every MethodTable and cell lies in the kernel image), so
        // mix them before the multiply and take the top bits of the product (Fibonacci hashing).
        ulong hash = ((ulong)type ^ ((ulong)cell << CellShift)) * 0x9E3779B97F4A7C15UL;
        return s_cache + (int)(hash >> (64 - CacheBits));
    }

    private static MethodTable* InterfaceOf(DispatchCell* cell)
    {
        nint cache = cell->Cache;
        nint tag = cache & CacheTagMask;
        if (tag == InterfacePointerTag)
        {
            return (MethodTable*)(cache & ~CacheTagMask);
        }
        if (tag == RelativePointerTag)
        {
            nint address = (nint)(&cell->Cache) + (int)cache;
            return (MethodTable*)(address & ~CacheTagMask);
        }
        RuntimeHost.FailFast("interface dispatch cell in an unknown state");
        return null;
    }

    private static ushort SlotOf(DispatchCell* cell)
    {
        while (cell->Stub != 0)
        {
            cell++;
        }
        return (ushort)cell->Cache;
    }

    /// <summary>
    /// Walks the type and its bases looking for a dispatch-map row {interface index, interface slot,
    /// implementation slot} that matches; the implementation slot indexes the object's vtable (so
    /// overrides in derived types win) or, past its end, the declaring type's sealed virtual slots.
    /// </summary>
    internal static nint FindImplementation(MethodTable* objectType, MethodTable* interfaceType, ushort slot)
    {
        for (MethodTable* type = objectType; type != null; type = type->BaseType)
        {
            ushort* map = type->DispatchMap;
            if (map == null)
            {
                continue;
            }
            int standardCount = map[0];
            ushort* row = map + 4;
            MethodTable** interfaces = type->InterfaceMap;
            for (int i = 0; i < standardCount; i++, row += 3)
            {
                if (row[1] != slot || row[0] >= type->_numInterfaces || interfaces[row[0]] != interfaceType)
                {
                    continue;
                }
                ushort implementationSlot = row[2];
                if (implementationSlot < type->_numVtableSlots)
                {
                    return objectType->Vtable[implementationSlot];
                }
                return type->GetSealedVirtualSlot(implementationSlot - type->_numVtableSlots);
            }
        }
        return 0;
    }
}
