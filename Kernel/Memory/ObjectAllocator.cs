using System.Runtime;
using System.Runtime.CompilerServices;
using Kernel.Mem.Heap;

namespace Kernel.Memory;

/// <summary>
/// Where <c>new</c> gets its memory. During early boot objects come from a bump allocator over a fixed
/// region of the image's .bss (runtime.asm), zeroed and never freed. Once the memory manager is up,
/// every allocation is a kmalloc from the kernel heap, and <see cref="Free(object)"/> returns an object
/// explicitly (there is no garbage collector). Allocation failure is fatal, as the runtime expects.
/// </summary>
internal static unsafe class ObjectAllocator
{
    private const int EarlyAlignment = 16;

    private static byte* s_next;
    private static byte* s_end;
    private static ulong s_earlyAllocations;
    private static ulong s_frees;
    private static KernelHeap<KernelPhysicalMemory, KernelTlb> s_heap;
    // The allocator serves the allocations that create the blocks of static object references, s_heap's own
    // among them: until then s_heap's slot does not exist and reading it reads whatever the image holds there
    // (a #GP under OVMF). A plain bool lives in .bss, zeroed at load, and guards every read of s_heap.
    private static bool s_useHeap;
    private static bool s_refused;

    [RuntimeImport("*", "KernelEarlyHeapStart")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern byte* EarlyHeapStart();

    [RuntimeImport("*", "KernelEarlyHeapEnd")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern byte* EarlyHeapEnd();

    public static ulong EarlyBytesAllocated => s_next == null ? 0 : (ulong)(s_next - EarlyHeapStart());

    public static ulong EarlyAllocations => s_earlyAllocations;

    public static ulong EarlyCapacity => (ulong)(EarlyHeapEnd() - EarlyHeapStart());

    public static ulong Frees => s_frees;

    /// <summary>From now on every allocation is a kmalloc from <paramref name="heap"/>, which the memory manager hands over.</summary>
    public static void UseKernelHeap(KernelHeap<KernelPhysicalMemory, KernelTlb> heap)
    {
        s_heap = heap;
        s_useHeap = heap != null;
    }

    /// <summary>
    /// From now on every allocation is a nested panic, named as such. Every panic calls this first: the
    /// heap may be what failed, so a report that allocated could fault halfway and lose the cause.
    /// </summary>
    public static void RefuseAllocations() => s_refused = true;

    public static void* AllocateZeroed(nuint size)
    {
        if (s_refused)
        {
            Panic.Fail("allocation on the panic path (the report must not depend on the heap)");
        }
        if (s_useHeap)
        {
            void* memory = s_heap.AllocateZeroed(size);
            if (memory == null)
            {
                Panic.Fail("out of memory: kmalloc for a managed object failed");
            }
            return memory;
        }
        return AllocateEarly(size);
    }

    /// <summary>
    /// A zeroed array of <paramref name="template"/>'s type with <paramref name="length"/> elements, or null
    /// when the kernel heap cannot supply it: unlike <c>new</c>, which panics. For tables that grow on the
    /// page-fault path (a working set), where running short must mean "replace instead", not a dead kernel.
    /// </summary>
    public static object TryNewArrayLike(object template, int length)
    {
        if (template == null || length < 0 || !s_useHeap || s_refused)
        {
            return null;
        }
        Internal.Runtime.MethodTable* type = *(Internal.Runtime.MethodTable**)Unsafe.As<object, nint>(ref template);
        if (!type->HasComponentSize)
        {
            return null;
        }
        ulong size = (type->BaseSize + (ulong)length * type->ComponentSize + 7) & ~7UL;
        byte* memory = (byte*)s_heap.AllocateZeroed((nuint)size);
        if (memory == null)
        {
            return null;
        }
        *(Internal.Runtime.MethodTable**)memory = type;
        *(int*)(memory + 8) = length;
        nint address = (nint)memory;
        return Unsafe.As<nint, object>(ref address);
    }

    private static void* AllocateEarly(nuint size)
    {
        if (s_next == null)
        {
            s_next = EarlyHeapStart();
            s_end = EarlyHeapEnd();
        }
        nuint rounded = (size + EarlyAlignment - 1) & ~(nuint)(EarlyAlignment - 1);
        if (rounded > (nuint)(s_end - s_next))
        {
            Panic.Fail("out of memory: the early object heap is exhausted");
        }
        byte* result = s_next;
        s_next += rounded;
        s_earlyAllocations++;
        // The region is .bss, zeroed at load, and never reused: the memory is already clear.
        return result;
    }

    public static bool IsEarly(void* memory) => memory >= EarlyHeapStart() && memory < EarlyHeapEnd();

    /// <summary>
    /// Returns an object's memory to the kernel heap. The caller guarantees nothing references it any
    /// more. A bad pointer (not an object from the heap, or already freed) is reported and ignored.
    /// </summary>
    public static FreeStatus Free(object obj)
    {
        if (obj == null)
        {
            return FreeStatus.NullPointer;
        }
        return Free((void*)Unsafe.As<object, nint>(ref obj));
    }

    public static FreeStatus Free(void* memory)
    {
        if (memory == null)
        {
            return FreeStatus.NullPointer;
        }
        if (IsEarly(memory))
        {
            // The early region cannot be given back: such a free is harmless and changes nothing.
            return FreeStatus.Freed;
        }
        FreeStatus status = s_useHeap ? s_heap.Free(memory) : FreeStatus.OutsideHeap;
        if (status == FreeStatus.Freed)
        {
            s_frees++;
        }
        else
        {
            KernelHeapReport.WarnBadFree(memory, status);
        }
        return status;
    }
}
