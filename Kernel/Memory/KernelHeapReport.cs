using Kernel.Drivers;
using Kernel.Mem.Heap;

namespace Kernel.Memory;

/// <summary>How the kernel reports what the heap detected: a bad kfree warns and changes nothing.</summary>
internal static unsafe class KernelHeapReport
{
    public static string Describe(FreeStatus status)
    {
        switch (status)
        {
            case FreeStatus.Freed: return "freed";
            case FreeStatus.NullPointer: return "null pointer";
            case FreeStatus.OutsideHeap: return "outside the kernel heap";
            case FreeStatus.InsideAllocation: return "inside an allocation";
            case FreeStatus.DoubleFree: return "double free";
            case FreeStatus.Misaligned: return "misaligned";
            case FreeStatus.NeverAllocated: return "never allocated";
            case FreeStatus.NotAllocated: return "not an allocation (never allocated, or freed already)";
            default: return "unknown status";
        }
    }

    public static void WarnBadFree(void* memory, FreeStatus status)
    {
        Console.Write("kfree: ", ConsoleColor.Yellow);
        Console.Write("rejected ");
        Console.WriteHex((ulong)memory);
        Console.Write(": ");
        Console.Write(Describe(status));
        Console.WriteLine(" (nothing changed)");
    }
}
