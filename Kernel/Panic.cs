using Kernel.Arch;
using Kernel.Drivers;

namespace Kernel;

/// <summary>
/// The kernel's fatal path: every panic enters here (the report itself is Arch/PanicScreen.cs). Before
/// anything else runs, allocation is refused: a panic may come from the heap itself, so a report that
/// allocated (even through a class constructor on its first use) could fault halfway and lose the cause.
/// </summary>
internal static unsafe class Panic
{
    public static void Fail(string reason)
    {
        Memory.ObjectAllocator.RefuseAllocations();
        PanicScreen.Show(reason, null, null, Cpu.ReadFramePointer());
    }

    /// <summary>A failed runtime check (bounds, cast, overflow) reported as the exception it would throw.</summary>
    public static void RuntimeFault(string exceptionName, string message)
    {
        Memory.ObjectAllocator.RefuseAllocations();
        PanicScreen.Show("unhandled exception", exceptionName, message, Cpu.ReadFramePointer());
    }

    /// <summary>A managed <c>throw</c>: there is no unwinder, so the exception ends the kernel.</summary>
    public static void Throw(object exception)
    {
        Memory.ObjectAllocator.RefuseAllocations();
        System.Exception ex = exception as System.Exception;
        PanicScreen.ShowThrow(exception, ex?.Message, Cpu.ReadFramePointer());
    }

    /// <summary>A CPU exception no handler or fault probe took.</summary>
    public static void Exception(InterruptFrame* frame, ulong faultAddress)
    {
        Memory.ObjectAllocator.RefuseAllocations();
        PanicScreen.ShowException(frame, faultAddress);
    }

    /// <summary>An interrupt on a vector nothing is routed to.</summary>
    public static void UnexpectedVector(InterruptFrame* frame)
    {
        Memory.ObjectAllocator.RefuseAllocations();
        PanicScreen.ShowUnexpectedVector(frame);
    }
}
