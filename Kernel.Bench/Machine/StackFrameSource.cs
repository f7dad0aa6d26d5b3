using System;
using Kernel.Mem;

namespace Kernel.Bench.Machine;

/// <summary>
/// Frames of a window of emulated RAM: a bump pointer, then the most recently returned frame first. It
/// stands in for the buddy frame allocator with an O(1) cost and no checks, so the heap's figures are the
/// heap's (the tests' CountingFrameSource fills every frame with junk and tracks it in a hash set, which
/// would dominate a page commit).
/// </summary>
internal sealed class StackFrameSource : IFrameSource
{
    private readonly ulong[] _returned;
    private readonly ulong _end;
    private ulong _next;
    private int _returnedCount;

    /// <summary>Hands out the <paramref name="frameCount"/> frames from the page-aligned <paramref name="start"/>.</summary>
    public StackFrameSource(ulong start, ulong frameCount)
    {
        _next = start;
        _end = start + (frameCount << MemConstants.PageShift);
        _returned = new ulong[frameCount];
    }

    /// <summary>Frames handed out and not returned.</summary>
    public ulong Outstanding { get; private set; }

    public bool TryAllocateFrame(out ulong physical)
    {
        if (_returnedCount != 0)
        {
            physical = _returned[--_returnedCount];
        }
        else if (_next < _end)
        {
            physical = _next;
            _next += MemConstants.PageSize;
        }
        else
        {
            physical = 0;
            return false;
        }
        Outstanding++;
        return true;
    }

    public void FreeFrame(ulong physical)
    {
        if (_returnedCount == _returned.Length)
        {
            throw new InvalidOperationException($"more frames returned than handed out: 0x{physical:x16}");
        }
        _returned[_returnedCount++] = physical;
        Outstanding--;
    }
}
