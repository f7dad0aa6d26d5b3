using System.Runtime.InteropServices;

namespace Kernel.Bench.Peers;

/// <summary>
/// glibc's malloc and free called directly, without the GC transition, as <see cref="Mimalloc.MallocDirect"/>
/// is: the allocator's own cost. The main glibc figure goes through NativeMemory instead.
/// </summary>
internal static unsafe class Glibc
{
    public const string Library = "libc.so.6";

    [DllImport(Library, EntryPoint = "malloc")]
    [SuppressGCTransition]
    public static extern void* MallocDirect(nuint size);

    [DllImport(Library, EntryPoint = "free")]
    [SuppressGCTransition]
    public static extern void FreeDirect(void* memory);

    [DllImport(Library, EntryPoint = "gnu_get_libc_version")]
    public static extern byte* Version();
}
