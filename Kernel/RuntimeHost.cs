using Kernel.Memory;

namespace Internal.Runtime;

/// <summary>
/// The kernel's side of the corlib's glue. The corlib (Kernel/Runtime) is one set of sources compiled into
/// the kernel and into every user program; only this class differs between the two worlds. In the kernel,
/// <c>new</c> is a kmalloc (<see cref="ObjectAllocator"/>) and every fatal runtime error is a panic.
/// </summary>
internal static unsafe class RuntimeHost
{
    /// <summary>Zeroed memory for an object; never null (running out is fatal, as the runtime expects).</summary>
    public static void* AllocateZeroed(nuint size) => ObjectAllocator.AllocateZeroed(size);

    /// <summary>Returns an object the corlib made for its own use (an intermediate array) to the heap.</summary>
    public static void Free(object obj) => ObjectAllocator.Free(obj);

    public static void FailFast(string reason) => Kernel.Panic.Fail(reason);

    /// <summary>A failed runtime check (bounds, cast, overflow) reported as the exception it would throw.</summary>
    public static void RuntimeFault(string exceptionName, string message) => Kernel.Panic.RuntimeFault(exceptionName, message);

    /// <summary>A managed <c>throw</c>: there is no unwinder, so it ends the kernel.</summary>
    public static void Throw(object exception) => Kernel.Panic.Throw(exception);
}
