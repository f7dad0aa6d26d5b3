using System.Runtime.InteropServices;

namespace Kernel.Bench.Peers;

/// <summary>
/// mimalloc from Debian's libmimalloc2.0 (tools/build.sh setup installs it). Bound by soname, the name the
/// runtime package installs; the unversioned libmimalloc.so comes only with the -dev package.
/// </summary>
internal static unsafe class Mimalloc
{
    public const string Library = "libmimalloc.so.2";

    /// <summary>An ordinary P/Invoke, GC transition included: the same footing as NativeMemory's call into libc.</summary>
    [DllImport(Library, EntryPoint = "mi_malloc")]
    public static extern void* Malloc(nuint size);

    [DllImport(Library, EntryPoint = "mi_free")]
    public static extern void Free(void* memory);

    /// <summary>
    /// The same entry points without the GC transition (neither calls back into the runtime), to show the
    /// allocator's own cost apart from what the managed-to-native call adds.
    /// </summary>
    [DllImport(Library, EntryPoint = "mi_malloc")]
    [SuppressGCTransition]
    public static extern void* MallocDirect(nuint size);

    [DllImport(Library, EntryPoint = "mi_free")]
    [SuppressGCTransition]
    public static extern void FreeDirect(void* memory);

    /// <summary>The library's version as major * 100 + minor (e.g. 212 for 2.1.2).</summary>
    [DllImport(Library, EntryPoint = "mi_version")]
    public static extern int Version();
}
