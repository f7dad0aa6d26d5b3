using System.Runtime.CompilerServices;
using Kernel.Mem.User;

namespace UserRuntime
{
    /// <summary>
    /// Where <c>new</c> gets memory in a user program: for now a bump allocator over the region the loader
    /// maps at the bottom of the user heap (<see cref="UserLayout.BootstrapHeapSize"/> bytes, already zeroed).
    /// Nothing is ever reused; running out ends the process with "out of memory".
    /// </summary>
    public static unsafe class Heap
    {
        private const ulong Alignment = 16;

        private static ulong s_next = UserLayout.HeapBase;
        private static ulong s_allocations;
        private static ulong s_frees;

        public static ulong BytesAllocated => s_next - UserLayout.HeapBase;

        public static ulong Allocations => s_allocations;

        public static ulong Frees => s_frees;

        public static void* AllocateZeroed(nuint size)
        {
            ulong rounded = ((ulong)size + Alignment - 1) & ~(Alignment - 1);
            if (rounded > UserLayout.HeapBase + UserLayout.BootstrapHeapSize - s_next)
            {
                Process.Abort("out of memory", "the program's heap is exhausted", null);
            }
            void* memory = (void*)s_next;
            s_next += rounded;
            s_allocations++;
            return memory;
        }

        public static void Free(object obj)
        {
            if (obj != null)
            {
                s_frees++;
            }
        }
    }
}
