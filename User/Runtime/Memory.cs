using Kernel.Abi;

namespace UserRuntime;

/// <summary>The process's memory figures as the kernel keeps them (memory_counters), and page touching for tests.</summary>
public static unsafe class Memory
{
    public static MemoryCounters Counters()
    {
        MemoryCounters counters;
        Sys.GetMemoryCounters(&counters);
        return counters;
    }

    /// <summary>Writes one byte on every page of [<paramref name="address"/>, + <paramref name="bytes"/>): the first touch of each.</summary>
    public static void TouchPages(void* address, ulong bytes, byte value)
    {
        for (ulong offset = 0; offset < bytes; offset += Kernel.Mem.MemConstants.PageSize)
        {
            ((byte*)address)[offset] = value;
        }
    }

    /// <summary>Whether every page of the range still holds <paramref name="value"/> where <see cref="TouchPages"/> wrote it.</summary>
    public static bool PagesHold(void* address, ulong bytes, byte value)
    {
        for (ulong offset = 0; offset < bytes; offset += Kernel.Mem.MemConstants.PageSize)
        {
            if (((byte*)address)[offset] != value)
            {
                return false;
            }
        }
        return true;
    }
}
