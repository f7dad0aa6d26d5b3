using Kernel.Mem;
using Kernel.Tests.Emulation;

namespace Kernel.Tests.Mem.Paging;

/// <summary>Emulated RAM that counts every table the mapper reaches, to bound how much of the tables a walk reads.</summary>
public readonly unsafe struct ReadCountingMemory : IPhysicalMemory
{
    private readonly EmulatedRam.Accessor _ram;
    private readonly Counter _counter;

    public ReadCountingMemory(EmulatedRam.Accessor ram, Counter counter)
    {
        _ram = ram;
        _counter = counter;
    }

    public byte* Access(ulong physical)
    {
        _counter.Reads++;
        return _ram.Access(physical);
    }

    public sealed class Counter
    {
        public long Reads { get; set; }
    }
}
