namespace Kernel.Tasks;

/// <summary>A process's paging figures, or their sum over processes (vmstat).</summary>
internal struct PagingCounters
{
    public ulong Faults;
    public ulong PageIns;
    public ulong PageOuts;
    public ulong WritesAvoided;
    public ulong SlotsHeld;

    public static PagingCounters Of(Process process)
    {
        PagingCounters counters = default;
        counters.Faults = process.PageFaults;
        if (process.AddressSpace != null)
        {
            counters.PageIns = process.AddressSpace.PageIns;
            counters.PageOuts = process.AddressSpace.PageOuts;
            counters.WritesAvoided = process.AddressSpace.WritesAvoided;
            counters.SlotsHeld = process.AddressSpace.SlotsHeld;
        }
        return counters;
    }

    public void Add(PagingCounters other)
    {
        Faults += other.Faults;
        PageIns += other.PageIns;
        PageOuts += other.PageOuts;
        WritesAvoided += other.WritesAvoided;
    }
}
