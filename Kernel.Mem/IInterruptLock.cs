namespace Kernel.Mem.Pebble;

/// <summary>
/// A spin lock that is safe against interrupts, over a 32-bit lock word the allocator keeps (one in the
/// allocator for the bucket list, one in every bucket header). On the machine <see cref="Acquire"/> saves
/// RFLAGS, executes <c>cli</c> and spins on the word with <c>lock cmpxchg</c> (0 to 1); <see cref="Release"/>
/// stores 0 and restores the saved interrupt flag. On the host it is an Interlocked spin. Used through a
/// struct-constrained generic, so the kernel pays no dispatch.
/// </summary>
/// <remarks>
/// A release may be handed a state other than the one its own acquire returned: when the allocator passes
/// from the heap lock to a bucket lock it releases the heap lock with the bucket acquire's state
/// (interrupts still disabled) and the bucket lock with the heap acquire's state (the caller's original
/// flags), so interrupts stay off for as long as either lock is held.
/// </remarks>
public interface IInterruptLock
{
    /// <summary>Disables interrupts, then takes the lock held in <paramref name="word"/>; returns the interrupt state to restore.</summary>
    ulong Acquire(ref uint word);

    /// <summary>Frees the lock held in <paramref name="word"/>, then restores the interrupt state <paramref name="state"/>.</summary>
    void Release(ref uint word, ulong state);
}
