using System.Runtime.InteropServices;

namespace Kernel.Abi;

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

    /// <summary>The machine's free frames at the time of the call, the kernel's reserve included.</summary>
    public ulong FreeFrames;

    /// <summary>Faults served by reading the page back from the page file.</summary>
    public ulong PageIns;

    /// <summary>Pages written to the page file to make room.</summary>
    public ulong PageOuts;

    /// <summary>Clean pages given up without a write: their copy in the page file was still good.</summary>
    public ulong WritesAvoided;

    /// <summary>Page-file slots the process holds.</summary>
    public ulong SlotsHeld;

    /// <summary>Pages in its working set (0 without a page file).</summary>
    public ulong WorkingSetPages;

    /// <summary>The most pages its working set may hold (0 without a page file).</summary>
    public ulong WorkingSetCapacity;

    /// <summary>Its replacement policy: 0 CLOCK, 1 modified CLOCK, 2 LRU aging (as Kernel.Mem.Replacement.ReplacementPolicy).</summary>
    public ulong Policy;

    /// <summary>Aging steps its working set took (LRU aging: one per timer tick that found it in ring 3).</summary>
    public ulong AgingSteps;

    /// <summary>
    /// The frames user memory could still take at the time of the call: the free frames above the reserve
    /// the kernel keeps for itself (user pages and page tables stop there).
    /// </summary>
    public ulong AvailableFrames;
}
