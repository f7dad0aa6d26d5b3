using System;
using System.Collections.Generic;
using Kernel.Mem;

namespace Kernel.Tests.Emulation;

/// <summary>
/// A simple <see cref="IFrameSource"/> over a window of <see cref="EmulatedRam"/> for tests: a bump pointer
/// plus a free list, a count of frames handed out, and a settable limit that simulates exhaustion. Frames
/// are filled with junk when handed out and when returned, so code that forgets to clear a frame, or keeps
/// using one it gave back, reads garbage. Freeing a frame it does not own fails the test. Frame tags live
/// in a dictionary and go with the frame when it is returned. Every call holds <see cref="Lock"/>, as the
/// frame allocator's do.
/// </summary>
public sealed unsafe class CountingFrameSource : IFrameSource
{
    /// <summary>The byte freshly allocated frames are filled with.</summary>
    public const byte AllocationJunk = 0xA5;

    /// <summary>The byte returned frames are filled with.</summary>
    public const byte FreedJunk = 0xDE;

    private readonly EmulatedRam _ram;
    private readonly ulong _end;
    private readonly Stack<ulong> _free = new Stack<ulong>();
    private readonly HashSet<ulong> _outstanding = new HashSet<ulong>();
    private readonly Dictionary<ulong, ulong> _tags = new Dictionary<ulong, ulong>();
    private ulong _next;

    /// <summary>
    /// Hands out the frames of [<paramref name="start"/>, <paramref name="start"/> + <paramref name="frameCount"/> frames)
    /// of <paramref name="ram"/>, under <paramref name="memoryLock"/> (a lock of its own when none is given).
    /// </summary>
    public CountingFrameSource(EmulatedRam ram, ulong start, ulong frameCount, MemoryLock memoryLock = null)
    {
        Lock = memoryLock ?? new MemoryLock<HostInterruptLock>();
        if (!MemConstants.IsAligned(start, MemConstants.PageSize) || start < ram.PhysicalStart
            || start + frameCount * MemConstants.PageSize > ram.PhysicalEnd)
        {
            throw new ArgumentException("frame window must be page aligned and inside the emulated RAM");
        }
        _ram = ram;
        _next = start;
        _end = start + frameCount * MemConstants.PageSize;
    }

    public MemoryLock Lock { get; }

    /// <summary>Frames handed out and not yet returned.</summary>
    public int Outstanding => _outstanding.Count;

    /// <summary>Total successful allocations so far.</summary>
    public int Allocations { get; private set; }

    /// <summary>When set, allocation fails once this many frames are outstanding.</summary>
    public int? Limit { get; set; }

    /// <summary>True when <paramref name="physical"/> is currently handed out by this source.</summary>
    public bool Owns(ulong physical) => _outstanding.Contains(physical);

    /// <summary>Makes only <paramref name="more"/> further allocations succeed (until frames are returned).</summary>
    public void AllowOnly(int more) => Limit = Outstanding + more;

    public bool TryAllocateFrame(out ulong physical)
    {
        ulong state = Lock.Enter();
        try
        {
            return TryAllocateFrameLocked(out physical);
        }
        finally
        {
            Lock.Exit(state);
        }
    }

    public void FreeFrame(ulong physical)
    {
        ulong state = Lock.Enter();
        try
        {
            FreeFrameLocked(physical);
        }
        finally
        {
            Lock.Exit(state);
        }
    }

    public bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag)
    {
        ulong state = Lock.Enter();
        try
        {
            for (ulong i = 0; i < count; i++)
            {
                if (!TryAllocateFrameLocked(out frames[i]) || (firstTag != FrameTag.None && !TrySetFrameTagLocked(frames[i], firstTag + i)))
                {
                    // The frame just taken (if any) and every one before go back.
                    for (ulong j = 0; j <= i; j++)
                    {
                        if (j < i || _outstanding.Contains(frames[j]))
                        {
                            FreeFrameLocked(frames[j]);
                        }
                    }
                    return false;
                }
            }
            return true;
        }
        finally
        {
            Lock.Exit(state);
        }
    }

    public void FreeFrames(ulong* frames, ulong count)
    {
        ulong state = Lock.Enter();
        try
        {
            for (ulong i = 0; i < count; i++)
            {
                if (frames[i] != 0)
                {
                    FreeFrameLocked(frames[i]);
                }
            }
        }
        finally
        {
            Lock.Exit(state);
        }
    }

    public bool TrySetFrameTag(ulong physical, ulong tag)
    {
        ulong state = Lock.Enter();
        try
        {
            return TrySetFrameTagLocked(physical, tag);
        }
        finally
        {
            Lock.Exit(state);
        }
    }

    public bool TryGetFrameTag(ulong physical, out ulong tag)
    {
        ulong state = Lock.Enter();
        try
        {
            return TryGetFrameTagLocked(physical, out tag);
        }
        finally
        {
            Lock.Exit(state);
        }
    }

    private bool TryAllocateFrameLocked(out ulong physical)
    {
        physical = 0;
        if (Limit.HasValue && _outstanding.Count >= Limit.Value)
        {
            return false;
        }
        if (_free.Count > 0)
        {
            physical = _free.Pop();
        }
        else if (_next < _end)
        {
            physical = _next;
            _next += MemConstants.PageSize;
        }
        else
        {
            return false;
        }
        _outstanding.Add(physical);
        Allocations++;
        Fill(physical, AllocationJunk);
        return true;
    }

    private void FreeFrameLocked(ulong physical)
    {
        if (!_outstanding.Remove(physical))
        {
            throw new InvalidOperationException($"free of a frame not handed out: 0x{physical:x16}");
        }
        _tags.Remove(physical);
        Fill(physical, FreedJunk);
        _free.Push(physical);
    }

    private bool TrySetFrameTagLocked(ulong physical, ulong tag)
    {
        ulong frame = MemConstants.AlignDown(physical, MemConstants.PageSize);
        if (!_outstanding.Contains(frame) || tag > FrameTag.Mask)
        {
            return false;
        }
        _tags[frame] = tag;
        return true;
    }

    private bool TryGetFrameTagLocked(ulong physical, out ulong tag)
    {
        ulong frame = MemConstants.AlignDown(physical, MemConstants.PageSize);
        if (!_outstanding.Contains(frame))
        {
            tag = 0;
            return false;
        }
        tag = _tags.GetValueOrDefault(frame, FrameTag.None);
        return true;
    }

    private void Fill(ulong physical, byte junk)
    {
        new Span<byte>(_ram.Memory.Access(physical), (int)MemConstants.PageSize).Fill(junk);
    }
}
