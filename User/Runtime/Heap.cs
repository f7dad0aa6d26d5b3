using System;
using Kernel.Mem.Heap;
using Kernel.Mem.User;

namespace UserRuntime;

/// <summary>
/// The FOS user heap: malloc, free, realloc and calloc run here, in ring 3, with the kernel's own heap code
/// (<see cref="HeapAllocator{TBacking}"/>: blocks of 8 B to 2 KiB, custom fit for larger requests) over the
/// user heap [0x8000_0000, 0xA000_0000); only reserving and releasing pages crosses into the kernel
/// (<see cref="SyscallBacking"/>), and a page takes a frame only when it is first touched. <c>new</c> is
/// served from here too (objects are freed explicitly, as in the kernel). Objects made before the heap
/// exists (the runtime's own, at startup) come from the start of the runtime's region and are never freed.
/// </summary>
public static unsafe class Heap
{
    private const ulong EarlyAlignment = 16;

    // A reference is a GC static, which exists only once the module's statics are set up, and they are set up
    // with memory from here: until the heap is ready, only the plain statics below may be read.
    private static HeapAllocator<SyscallBacking> s_heap;
    private static bool s_ready;
    private static ulong s_early = UserLayout.RuntimeRegionBase;

    /// <summary>Bytes the runtime took before the heap existed (from the runtime region, never freed).</summary>
    public static ulong EarlyBytes => s_early - UserLayout.RuntimeRegionBase;

    /// <summary>Sets the heap up over its metadata in the runtime region. Called once by the program's start.</summary>
    public static void Initialize()
    {
        if (HeapAllocator<SyscallBacking>.MetadataBytes(UserLayout.BlockAreaPages, UserLayout.PageAreaPages) > UserLayout.HeapMetadataSize)
        {
            Process.Abort("heap", "its metadata does not fit the runtime region", null);
        }
        s_heap = new HeapAllocator<SyscallBacking>(default, UserLayout.HeapBase, UserLayout.BlockAreaPages,
            UserLayout.PageAreaBase, UserLayout.PageAreaPages, (byte*)UserLayout.HeapMetadataBase, UserLayout.HeapMetadataSize);
        s_ready = true;
    }

    /// <summary>At least <paramref name="size"/> bytes (8-byte aligned; a page for sizes over 2 KiB), or null.</summary>
    public static void* Malloc(ulong size) => s_heap.Allocate(size);

    /// <summary><paramref name="count"/> elements of <paramref name="size"/> bytes, zeroed; null on overflow or failure.</summary>
    public static void* Calloc(ulong count, ulong size)
    {
        if (size != 0 && count > ulong.MaxValue / size)
        {
            return null;
        }
        return AllocateZeroed(count * size);
    }

    /// <summary>Grows or shrinks an allocation, in place where possible; null (with the original intact) on failure.</summary>
    public static void* Realloc(void* address, ulong size) => s_heap.Reallocate(address, size);

    /// <summary>
    /// Frees an allocation. A pointer that does not start a live allocation (double free, inside a block,
    /// outside the heap) changes nothing: it is reported on the console and its verdict returned.
    /// </summary>
    public static FreeStatus Free(void* address)
    {
        if ((ulong)address - UserLayout.RuntimeRegionBase < UserLayout.RuntimeObjectsSize)
        {
            return FreeStatus.Freed;
        }
        FreeStatus status = s_heap.Free(address);
        if (status != FreeStatus.Freed && status != FreeStatus.NullPointer)
        {
            Console.Write("free: ");
            Console.WriteHex((ulong)address);
            Console.Write(": ");
            Console.Write(Describe(status));
            Console.WriteLine(" (ignored)");
        }
        return status;
    }

    /// <summary>Frees an object made by <c>new</c>: the caller guarantees nothing uses it any more.</summary>
    public static FreeStatus Free(object obj)
    {
        if (obj == null)
        {
            return FreeStatus.NullPointer;
        }
        return Free((void*)System.Runtime.CompilerServices.Unsafe.As<object, nint>(ref obj));
    }

    /// <summary>The bytes usable at an allocation (its block's class, or its whole pages); 0 for anything else.</summary>
    public static ulong UsableSize(void* address) => s_heap.UsableSize(address);

    /// <summary>What <see cref="Free"/> would say about <paramref name="address"/>, changing nothing.</summary>
    public static FreeStatus Check(void* address) => s_heap.Check(address);

    /// <summary>The page area's break (FOS's "break": pages at or above it have never been handed out).</summary>
    public static ulong Break => s_heap.Break;

    public static HeapStatistics Statistics => s_heap.GetStatistics();

    public static BlockClassStatistics ClassStatistics(int classIndex) => s_heap.GetClassStatistics(classIndex);

    /// <summary>Memory for <c>new</c>: zeroed; the process ends with "out of memory" when none is left.</summary>
    internal static void* AllocateObject(nuint size)
    {
        void* memory;
        if (!s_ready)
        {
            ulong rounded = ((ulong)size + EarlyAlignment - 1) & ~(EarlyAlignment - 1);
            if (rounded > UserLayout.RuntimeRegionBase + UserLayout.RuntimeObjectsSize - s_early)
            {
                Process.Abort("out of memory", "the runtime's early objects do not fit their region", null);
            }
            // The region's pages are zero when first touched, and never reused.
            memory = (void*)s_early;
            s_early += rounded;
            return memory;
        }
        memory = AllocateZeroed(size);
        if (memory == null)
        {
            Process.Abort("out of memory", "new: the heap cannot grow", null);
        }
        return memory;
    }

    /// <summary>
    /// Zeroed memory without touching fresh pages: an allocation of the page area is reserved by
    /// allocate_user_mem on every allocation (a free hands its pages back with free_user_mem), so its pages
    /// read as zero until written, and clearing them would take a frame for each. Only a block, which may be
    /// reused, needs clearing.
    /// </summary>
    private static void* AllocateZeroed(ulong size)
    {
        return size > HeapAllocator<SyscallBacking>.MaximumBlockSize ? s_heap.Allocate(size) : s_heap.AllocateZeroed(size);
    }

    private static string Describe(FreeStatus status)
    {
        switch (status)
        {
            case FreeStatus.DoubleFree:
                return "double free";
            case FreeStatus.NeverAllocated:
                return "never allocated";
            case FreeStatus.NotAllocated:
                return "not an allocation (never allocated, or freed already)";
            case FreeStatus.InsideAllocation:
                return "not the start of an allocation";
            case FreeStatus.OutsideHeap:
                return "not a heap address";
            default:
                return "misaligned";
        }
    }
}
