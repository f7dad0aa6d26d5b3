using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Memory
{
    /// <summary>
    /// Where <c>new</c> gets its memory. Until the kernel heap runs on its own frames, objects come from a
    /// bump allocator over a fixed region in the image's .bss (runtime.asm): simple, zeroed, never freed.
    /// Allocation failure is fatal, as it is for the runtime's own allocation helpers.
    /// </summary>
    internal static unsafe class ObjectAllocator
    {
        private const int Alignment = 16;

        private static byte* s_next;
        private static byte* s_end;
        private static ulong s_allocations;

        [RuntimeImport("*", "KernelEarlyHeapStart")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern byte* EarlyHeapStart();

        [RuntimeImport("*", "KernelEarlyHeapEnd")]
        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern byte* EarlyHeapEnd();

        public static ulong BytesAllocated => s_next == null ? 0 : (ulong)(s_next - EarlyHeapStart());

        public static ulong Allocations => s_allocations;

        public static ulong Capacity => (ulong)(EarlyHeapEnd() - EarlyHeapStart());

        public static void* AllocateZeroed(nuint size)
        {
            if (s_next == null)
            {
                s_next = EarlyHeapStart();
                s_end = EarlyHeapEnd();
            }
            nuint rounded = (size + Alignment - 1) & ~(nuint)(Alignment - 1);
            if (rounded > (nuint)(s_end - s_next))
            {
                Panic.Fail("out of memory: the early object heap is exhausted");
            }
            byte* result = s_next;
            s_next += rounded;
            s_allocations++;
            // The region is .bss, zeroed at load, and never reused: the memory is already clear.
            return result;
        }
    }
}
