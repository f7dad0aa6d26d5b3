using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Tasks;

/// <summary>
/// Publishes the current thread and the first process of the process table at fixed symbols
/// (<c>kernel_debugger_current_thread</c>, <c>kernel_debugger_first_process</c>, in debugger.asm) for gdb:
/// ilc's DWARF describes static fields at locations this runtime does not use, so tools/kernel.gdb's
/// <c>kproc</c> and <c>kps</c> start from these instead. One store each time either changes.
/// </summary>
internal static unsafe class DebuggerView
{
    private const int CurrentThread = 0;
    private const int FirstProcess = 1;

    private static nint* s_view;

    [RuntimeImport("*", "KernelDebuggerView")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern nint* View();

    public static void SetCurrentThread(Thread thread) => Publish(CurrentThread, thread);

    public static void SetFirstProcess(Process process) => Publish(FirstProcess, process);

    private static void Publish(int slot, object value)
    {
        if (s_view == null)
        {
            s_view = View();
        }
        s_view[slot] = *(nint*)Unsafe.AsPointer(ref value);
    }
}
