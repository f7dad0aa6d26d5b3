using System.Runtime.InteropServices;

namespace Kernel.Abi
{
    /// <summary>What memory_counters() fills in: the calling process's own figures, as the kernel keeps them.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MemoryCounters
    {
        /// <summary>Frames mapped at user addresses (image, stack, heap pages that were touched).</summary>
        public ulong ResidentFrames;

        /// <summary>Frames of the process's page tables, the PML4 included.</summary>
        public ulong PageTableFrames;

        /// <summary>Heap pages reserved through allocate_user_mem and not freed (backed or not).</summary>
        public ulong HeapReservedPages;

        /// <summary>Heap pages that were touched and so hold a frame (counted in <see cref="ResidentFrames"/> too).</summary>
        public ulong HeapResidentPages;

        /// <summary>Page faults the process caused: resolved by backing a reserved page, or fatal.</summary>
        public ulong PageFaults;

        /// <summary>Timer ticks (milliseconds) the process has run.</summary>
        public ulong Ticks;

        /// <summary>The machine's free frames at the time of the call.</summary>
        public ulong FreeFrames;
    }
}
