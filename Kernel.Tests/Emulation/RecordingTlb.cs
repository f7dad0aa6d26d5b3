using System.Collections.Generic;
using Kernel.Mem;

namespace Kernel.Tests.Emulation;

/// <summary>
/// A TLB that records what it was asked to invalidate, and in which address space, so tests can assert that
/// every change that needs an invalidation reported one. It is a struct (the seam is struct-constrained)
/// sharing a log object.
/// </summary>
public readonly struct RecordingTlb : ITlb
{
    private readonly Log _log;

    public RecordingTlb(Log log) => _log = log;

    public void Invalidate(ulong rootTable, ulong virtualAddress)
    {
        _log.Pages.Add(virtualAddress & ~MemConstants.PageMask);
        _log.PageRoots.Add(rootTable);
    }

    public void InvalidateAll(ulong rootTable) => _log.FullFlushRoots.Add(rootTable);

    public sealed class Log
    {
        /// <summary>Every page invalidated, in order.</summary>
        public List<ulong> Pages { get; } = new List<ulong>();

        /// <summary>The address space of each entry of <see cref="Pages"/>.</summary>
        public List<ulong> PageRoots { get; } = new List<ulong>();

        /// <summary>The address space of every full flush, in order.</summary>
        public List<ulong> FullFlushRoots { get; } = new List<ulong>();

        public int FullFlushes => FullFlushRoots.Count;

        public void Clear()
        {
            Pages.Clear();
            PageRoots.Clear();
            FullFlushRoots.Clear();
        }
    }
}
