using Kernel.Mem;

namespace Kernel.Bench.Machine;

/// <summary>
/// A TLB with nothing cached: the host never walks the emulated tables, so there is nothing to invalidate.
/// (The tests' RecordingTlb logs every invalidation into a list, which would grow without bound here.)
/// </summary>
internal readonly struct NullTlb : ITlb
{
    public void Invalidate(ulong rootTable, ulong virtualAddress)
    {
    }

    public void InvalidateAll(ulong rootTable)
    {
    }
}
