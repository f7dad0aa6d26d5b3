using System.Runtime.CompilerServices;

namespace Kernel.Mem;

/// <summary>
/// The memory manager's one lock. Every entry point of the frame allocator and of every mapper takes it; the
/// kernel heap holds it for each whole call (its own state included) and the pebble allocator around what it
/// asks of the frame allocator and the mapper. One instance serves them all, because they share state: the
/// mappers of every address space take page tables from the one frame allocator and share the kernel half's
/// tables, and the heap and the pebble allocator map through the kernel's mapper. It is reached through
/// <see cref="IFrameSource.Lock"/>, so whatever shares a frame source shares its lock.
/// </summary>
/// <remarks>
/// <para>
/// Interrupt-safe: interrupts are off while it is held (<see cref="IInterruptLock"/>), so an interrupt handler
/// never spins on it on the CPU that holds it, and its holder is never switched away. On one CPU without kernel
/// preemption that is all it does today; with more CPUs the spin does the rest.
/// </para>
/// <para>
/// Recursive: a caller that holds it enters again at the cost of one comparison, and that nested
/// <see cref="Exit"/> changes nothing. The holders call each other (kmalloc commits pages through the mapper,
/// which takes tables from the frame source), and the calls go through seams (<see cref="IFrameSource"/>, which
/// process address spaces and tests wrap) whose implementations cannot know whether their caller holds the
/// lock. With unlocked internals every seam would need a second, "caller holds the lock" contract, and every
/// caller outside the memory manager the discipline to pick the right one; a recursive lock keeps one entry
/// point per operation, each safe on its own. The price is that a fault taken inside the memory manager on
/// the holder's own CPU would re-enter it rather than deadlock, but such a fault is a kernel panic anyway.
/// </para>
/// <para>
/// Lock order: this lock is innermost. The pebble allocator's heap lock and bucket locks may be held while it
/// is taken, never the other way round; nothing takes another lock while holding it, and nothing blocks or
/// yields under it.
/// </para>
/// </remarks>
public abstract class MemoryLock
{
    /// <summary>What <see cref="Enter"/> returns to a caller that holds the lock already.</summary>
    protected const ulong Nested = ulong.MaxValue;

    /// <summary>Takes the lock (or enters it again, for its holder); pass the result to <see cref="Exit"/>.</summary>
    public abstract ulong Enter();

    /// <summary>Leaves what the matching <see cref="Enter"/> entered: the lock is freed by the outermost exit only.</summary>
    public abstract void Exit(ulong state);

    /// <summary>Whether the caller holds the lock (for checks in tests).</summary>
    public abstract bool IsHeld { get; }
}

/// <summary>
/// The <see cref="MemoryLock"/> over an <see cref="IInterruptLock"/>: the kernel's (cli and lock cmpxchg) or
/// the host's. The holders know only <see cref="MemoryLock"/>, so a lock is one virtual call per entry and
/// none of their types carries the lock's type.
/// </summary>
public sealed class MemoryLock<TLock> : MemoryLock
    where TLock : struct, IInterruptLock
{
    // Not readonly: calling methods on a readonly field of a non-readonly struct would copy it each time.
    private TLock _interrupts;
    private uint _word;

    // CurrentHolder of the holder, 0 when free. Only the holder writes its own value here and only it clears
    // it, so a read without the lock can equal the caller's value only when the caller holds the lock.
    private ulong _holder;

    public MemoryLock()
    {
    }

    public MemoryLock(TLock interrupts) => _interrupts = interrupts;

    // The nested case, which the holders' calls into each other take, is small enough to inline wherever the
    // call is devirtualized (the kernel has one implementation); the acquire and release are not inlined.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override ulong Enter()
    {
        ulong caller = _interrupts.CurrentHolder;
        return _holder == caller ? Nested : Acquire(caller);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Exit(ulong state)
    {
        if (state != Nested)
        {
            Release(state);
        }
    }

    private ulong Acquire(ulong caller)
    {
        ulong state = _interrupts.Acquire(ref _word);
        _holder = caller;
        return state;
    }

    private void Release(ulong state)
    {
        _holder = 0;
        _interrupts.Release(ref _word, state);
    }

    public override bool IsHeld => _holder == _interrupts.CurrentHolder;
}
