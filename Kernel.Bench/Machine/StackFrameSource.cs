using System;
using Kernel.Mem;

namespace Kernel.Bench.Machine;

/// <summary>
/// Frames of a window of emulated RAM: a bump pointer, then the most recently returned frame first. It
/// stands in for the buddy frame allocator with an O(1) cost and no checks, so the heap's figures are the
/// heap's (the tests' CountingFrameSource fills every frame with junk and tracks it in a hash set, which
/// would dominate a page commit). Frame tags sit in an array indexed by frame, as in the buddy allocator's
/// mem_map, with the allocator's rule that an allocated frame starts untagged; only allocated frames are
/// tracked, and a tag is refused for a frame outside the window or not handed out.
/// </summary>
internal sealed unsafe class StackFrameSource : IFrameSource
{
    private const ulong Untracked = ulong.MaxValue;

    private readonly ulong[] _returned;
    // Per frame of the window: its tag while it is handed out, Untracked while it is free.
    private readonly ulong[] _tags;
    private readonly ulong _start;
    private readonly ulong _end;
    private ulong _next;
    private int _returnedCount;

    /// <summary>Hands out the <paramref name="frameCount"/> frames from the page-aligned <paramref name="start"/>.</summary>
    public StackFrameSource(ulong start, ulong frameCount)
    {
        _start = start;
        _next = start;
        _end = start + (frameCount << MemConstants.PageShift);
        _returned = new ulong[frameCount];
        _tags = new ulong[frameCount];
        Array.Fill(_tags, Untracked);
    }

    /// <summary>The heap's lock, so the benchmark pays for taking it as the kernel does (see <see cref="BenchInterruptLock"/>).</summary>
    public MemoryLock Lock { get; } = new MemoryLock<BenchInterruptLock>();

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
        _tags[IndexOf(physical)] = FrameTag.None;
        Outstanding++;
        return true;
    }

    public bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag)
    {
        ulong fresh = (_end - _next) >> MemConstants.PageShift;
        if (count > (ulong)_returnedCount + fresh)
        {
            return false;
        }
        for (ulong i = 0; i < count; i++)
        {
            ulong frame;
            if (_returnedCount != 0)
            {
                frame = _returned[--_returnedCount];
            }
            else
            {
                frame = _next;
                _next += MemConstants.PageSize;
            }
            frames[i] = frame;
            _tags[IndexOf(frame)] = firstTag == FrameTag.None ? FrameTag.None : firstTag + i;
        }
        Outstanding += count;
        return true;
    }

    public void FreeFrames(ulong* frames, ulong count)
    {
        if ((ulong)_returnedCount + count > (ulong)_returned.Length)
        {
            throw new InvalidOperationException("more frames returned than handed out");
        }
        ulong freed = 0;
        for (ulong i = 0; i < count; i++)
        {
            ulong frame = frames[i];
            if (frame != 0)
            {
                _returned[_returnedCount++] = frame;
                _tags[IndexOf(frame)] = Untracked;
                freed++;
            }
        }
        Outstanding -= freed;
    }

    public void FreeFrame(ulong physical)
    {
        if (_returnedCount == _returned.Length)
        {
            throw new InvalidOperationException($"more frames returned than handed out: 0x{physical:x16}");
        }
        _returned[_returnedCount++] = physical;
        _tags[IndexOf(physical)] = Untracked;
        Outstanding--;
    }

    public bool TrySetFrameTag(ulong physical, ulong tag)
    {
        ulong index = IndexOf(physical);
        if (index >= (ulong)_tags.Length || _tags[index] == Untracked || tag > FrameTag.Mask)
        {
            return false;
        }
        _tags[index] = tag;
        return true;
    }

    public bool TryGetFrameTag(ulong physical, out ulong tag)
    {
        ulong index = IndexOf(physical);
        tag = index < (ulong)_tags.Length ? _tags[index] : Untracked;
        if (tag == Untracked)
        {
            tag = 0;
            return false;
        }
        return true;
    }

    // Wraps to a huge index below the window, which the callers' bounds checks refuse.
    private ulong IndexOf(ulong physical) => (physical - _start) >> MemConstants.PageShift;
}
