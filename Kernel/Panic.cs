using Kernel.Arch;
using Kernel.Drivers;

namespace Kernel
{
    /// <summary>The kernel's fatal path (the report itself is Arch/PanicScreen.cs).</summary>
    internal static unsafe class Panic
    {
        public static void Fail(string reason)
        {
            PanicScreen.Show(reason, null, null, Cpu.ReadFramePointer());
        }

        /// <summary>A failed runtime check (bounds, cast, overflow) reported as the exception it would throw.</summary>
        public static void RuntimeFault(string exceptionName, string message)
        {
            PanicScreen.Show("unhandled exception", exceptionName, message, Cpu.ReadFramePointer());
        }

        /// <summary>A managed <c>throw</c>: there is no unwinder, so the exception ends the kernel.</summary>
        public static void Throw(object exception)
        {
            System.Exception ex = exception as System.Exception;
            PanicScreen.ShowThrow(exception, ex?.Message, Cpu.ReadFramePointer());
        }
    }
}
