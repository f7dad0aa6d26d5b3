using Kernel.Mem;

namespace Kernel.Tests.Mem.Concurrency;

/// <summary>
/// A TLB with nothing cached, safe to call from several threads: the host never walks the emulated tables,
/// and <see cref="Emulation.RecordingTlb"/>'s log is a plain list.
/// </summary>
internal readonly struct SilentTlb : ITlb
{
    public void Invalidate(ulong rootTable, ulong virtualAddress)
    {
    }

    public void InvalidateAll(ulong rootTable)
    {
    }
}
