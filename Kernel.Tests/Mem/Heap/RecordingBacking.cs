using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Heap;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// A page backing for the bookkeeping tests: it records which pages are committed, refuses to commit a
/// page twice or decommit one it never committed, and draws on a budget of pages (like a pool of frames)
/// that a test can make run out.
/// </summary>
public readonly struct RecordingBacking : IPageBacking
{
    private readonly Log _log;

    public RecordingBacking(Log log) => _log = log;

    public bool Commit(ulong virtualAddress, ulong pageCount)
    {
        Assert(MemConstants.IsAligned(virtualAddress, MemConstants.PageSize), "unaligned commit");
        _log.CommitCalls++;
        if (pageCount > _log.Budget)
        {
            return false;
        }
        for (ulong i = 0; i < pageCount; i++)
        {
            Assert(_log.Committed.Add(virtualAddress + i * MemConstants.PageSize), "page committed twice");
        }
        _log.Budget -= pageCount;
        return true;
    }

    public void Decommit(ulong virtualAddress, ulong pageCount)
    {
        Assert(MemConstants.IsAligned(virtualAddress, MemConstants.PageSize), "unaligned decommit");
        for (ulong i = 0; i < pageCount; i++)
        {
            Assert(_log.Committed.Remove(virtualAddress + i * MemConstants.PageSize), "decommit of a page never committed");
        }
        _log.Budget += pageCount;
    }

    private static void Assert(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    public sealed class Log
    {
        public HashSet<ulong> Committed { get; } = new HashSet<ulong>();
        public ulong Budget { get; set; } = ulong.MaxValue / 2;
        public int CommitCalls { get; set; }
    }
}
