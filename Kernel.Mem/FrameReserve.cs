namespace Kernel.Mem;

/// <summary>
/// The frames user memory may not take: a frame source in front of the kernel's that refuses a frame once
/// taking it would leave fewer than <see cref="ReserveFrames"/> free, as Linux keeps its min watermark
/// (min_free_kbytes) for the allocations that must not fail. Everything a user address space takes (its pages,
/// its page tables, its PML4) comes through here; the kernel's own allocations (its heap behind <c>new</c>,
/// its page tables, thread stacks, pebbles) go to the source directly and may use the reserve, so a program
/// that takes every frame it can get leaves the kernel enough to go on, and its own next fault is the one that
/// runs out (or evicts, with a page file).
/// </summary>
/// <remarks>
/// The check and the allocation are one step under the source's <see cref="IFrameSource.Lock"/>, which is
/// recursive, so nothing takes the frame the check counted in between.
/// </remarks>
public sealed unsafe class FrameReserve<TSource> : IFrameSource
    where TSource : class, IFrameSource, IFreeFrameCount
{
    /// <summary>
    /// The smallest reserve, 2 MiB. Measured on a 64 MiB machine whose free frames a user program held: with
    /// 512 frames left every kernel self-test suite (runtime, arch, frames, paging, kheap, pebble) passes, a
    /// spawn is refused cleanly and device buffers are found; with 256 the frames and pebble suites miss the
    /// aligned runs they ask for (a 1 MiB-aligned buffer, a 2 MiB-aligned frame).
    /// </summary>
    public const ulong FloorFrames = 2 * MemConstants.MiB / MemConstants.PageSize;

    /// <summary>
    /// On top of the floor, 1/256 of the frames (0.4 %): more RAM holds more processes, whose kernel stacks,
    /// objects and page tables come from kernel memory. Of the order of Linux's min_free_kbytes (the square root
    /// of 16 times the KiB of RAM: 1 MiB at 64 MiB, 2.8 MiB at 512 MiB, 9 MiB at 5 GiB).
    /// </summary>
    public const ulong ShareDivisor = 256;

    /// <summary>The largest reserve, 32 MiB (reached from about 7.5 GiB of RAM): Linux caps its own too.</summary>
    public const ulong CeilingFrames = 32 * MemConstants.MiB / MemConstants.PageSize;

    private readonly TSource _source;
    private readonly ulong _reserveFrames;
    private ulong _refusals;

    /// <summary>Guards <paramref name="reserveFrames"/> of <paramref name="source"/>'s free frames.</summary>
    public FrameReserve(TSource source, ulong reserveFrames)
    {
        _source = source;
        _reserveFrames = reserveFrames;
    }

    /// <summary>
    /// The reserve for a machine of <paramref name="totalFrames"/> frames: <see cref="FloorFrames"/> plus
    /// 1/<see cref="ShareDivisor"/> of them, at most <see cref="CeilingFrames"/> (64 MiB of RAM: 572 frames,
    /// 2.2 MiB; 512 MiB: about 1,020, 4 MiB; 5 GiB: about 5,600, 22 MiB).
    /// </summary>
    public static ulong SizeFor(ulong totalFrames)
    {
        ulong frames = FloorFrames + totalFrames / ShareDivisor;
        return frames < CeilingFrames ? frames : CeilingFrames;
    }

    /// <summary>Free frames below which nothing more is handed out through this source.</summary>
    public ulong ReserveFrames => _reserveFrames;

    /// <summary>Frames this source could still hand out: the free frames above the reserve.</summary>
    public ulong AvailableFrames
    {
        get
        {
            ulong free = _source.FreeFrameCount;
            return free > _reserveFrames ? free - _reserveFrames : 0;
        }
    }

    /// <summary>Requests refused because the reserve was reached.</summary>
    public ulong Refusals => _refusals;

    public MemoryLock Lock => _source.Lock;

    public bool TryAllocateFrame(out ulong physical)
    {
        MemoryLock memoryLock = _source.Lock;
        ulong state = memoryLock.Enter();
        physical = 0;
        bool allocated = Admits(1) && _source.TryAllocateFrame(out physical);
        memoryLock.Exit(state);
        return allocated;
    }

    public bool TryAllocateFrames(ulong* frames, ulong count, ulong firstTag)
    {
        MemoryLock memoryLock = _source.Lock;
        ulong state = memoryLock.Enter();
        bool allocated = Admits(count) && _source.TryAllocateFrames(frames, count, firstTag);
        memoryLock.Exit(state);
        return allocated;
    }

    public void FreeFrame(ulong physical) => _source.FreeFrame(physical);

    public void FreeFrames(ulong* frames, ulong count) => _source.FreeFrames(frames, count);

    public bool TrySetFrameTag(ulong physical, ulong tag) => _source.TrySetFrameTag(physical, tag);

    public bool TryGetFrameTag(ulong physical, out ulong tag) => _source.TryGetFrameTag(physical, out tag);

    /// <summary>Whether <paramref name="count"/> frames can be taken leaving the reserve free; counts a refusal when not. Under the lock.</summary>
    private bool Admits(ulong count)
    {
        ulong free = _source.FreeFrameCount;
        if (free >= count && free - count >= _reserveFrames)
        {
            return true;
        }
        _refusals++;
        return false;
    }
}
