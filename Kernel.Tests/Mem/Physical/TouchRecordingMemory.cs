using Kernel.Mem;
using Kernel.Tests.Emulation;

namespace Kernel.Tests.Mem.Physical;

/// <summary>
/// Emulated RAM that logs every address the memory manager reaches, to prove the frame allocator never
/// touches the frames it manages (only its metadata).
/// </summary>
public readonly unsafe struct TouchRecordingMemory : IPhysicalMemory
{
    private readonly EmulatedRam.Accessor _ram;
    private readonly TouchLog _log;

    public TouchRecordingMemory(EmulatedRam.Accessor ram, TouchLog log)
    {
        _ram = ram;
        _log = log;
    }

    public byte* Access(ulong physical)
    {
        _log.Touched.Add(physical);
        return _ram.Access(physical);
    }
}
