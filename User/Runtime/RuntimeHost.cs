using UserRuntime;

namespace Internal.Runtime;

/// <summary>
/// A user program's side of the corlib's glue (the kernel has its own): <c>new</c> is served by the
/// program's heap, and every fatal runtime error ends the process through the abort system call, with a
/// reason the kernel prints in the process's closing line. Nothing here can panic the kernel.
/// </summary>
internal static unsafe class RuntimeHost
{
    public static void* AllocateZeroed(nuint size) => Heap.AllocateObject(size);

    public static void Free(object obj) => Heap.Free(obj);

    public static void FailFast(string reason) => Process.Abort("fail-fast", reason, null);

    public static void RuntimeFault(string exceptionName, string message) => Process.Abort("unhandled exception System.", exceptionName, message, null);

    public static void Throw(object exception)
    {
        System.Exception ex = exception as System.Exception;
        Process.Abort("unhandled exception", ex?.Message, exception);
    }
}
