using System.Collections.Generic;
using Kernel.Mem;

namespace Kernel.Tests.Emulation;

/// <summary>
/// A TLB that records what it was asked to invalidate, so tests can assert that every change that needs
/// an invalidation reported one. It is a struct (the seam is struct-constrained) sharing a log object.
/// </summary>
public readonly struct RecordingTlb : ITlb
{
    private readonly Log _log;

    public RecordingTlb(Log log) => _log = log;

    public void Invalidate(ulong virtualAddress) => _log.Pages.Add(virtualAddress & ~MemConstants.PageMask);

    public void InvalidateAll() => _log.FullFlushes++;

    public sealed class Log
    {
        public List<ulong> Pages { get; } = new List<ulong>();
        public int FullFlushes { get; set; }
        public void Clear()
        {
            Pages.Clear();
            FullFlushes = 0;
        }
    }
}
