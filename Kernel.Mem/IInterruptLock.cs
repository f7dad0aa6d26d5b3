namespace Kernel.Mem;

/// <summary>
/// A spin lock that is safe against interrupts, over a 32-bit lock word its user keeps (the memory manager's
/// lock in <see cref="MemoryLock{TLock}"/>; the pebble allocator's heap lock, and one in every bucket header).
/// On the machine <see cref="Acquire"/> saves RFLAGS, executes <c>cli</c> and spins on the word with
/// <c>lock cmpxchg</c> (0 to 1); <see cref="Release"/> stores 0 and restores the saved interrupt flag. On the
/// host it is an Interlocked spin. Used through a struct-constrained generic, so the kernel pays no dispatch.
/// </summary>
/// <remarks>
/// A lock taken while another is held, interrupts already off, needs only the spin: <see cref="AcquireNested"/>
/// and <see cref="ReleaseNested"/> (inline atomics on the machine, no call). That also lets a holder pass from
/// one lock to the other: the pebble allocator takes a bucket lock nested inside its heap lock, releases the
/// heap lock nested, and releases the bucket lock with the heap acquire's state, so interrupts stay off for
/// as long as either lock is held.
/// </remarks>
public interface IInterruptLock
{
    /// <summary>
    /// Who is asking, as a value that is never 0 and stays the caller's for as long as it holds a lock taken
    /// through this seam: the CPU on the machine (interrupts are off while a lock is held, so its holder
    /// cannot be switched away or moved), the thread on the host. A recursive lock compares it with its owner.
    /// </summary>
    ulong CurrentHolder { get; }

    /// <summary>
    /// Disables interrupts, then takes the lock held in <paramref name="word"/>; returns the interrupt state to
    /// restore, which is never <see cref="ulong.MaxValue"/> (RFLAGS has reserved zero bits; <see cref="MemoryLock"/>
    /// keeps that value for a nested entry).
    /// </summary>
    ulong Acquire(ref uint word);

    /// <summary>Frees the lock held in <paramref name="word"/>, then restores the interrupt state <paramref name="state"/>.</summary>
    void Release(ref uint word, ulong state);

    /// <summary>Takes the lock held in <paramref name="word"/> with interrupts already disabled (by another lock the caller holds): the spin alone.</summary>
    void AcquireNested(ref uint word);

    /// <summary>Frees the lock held in <paramref name="word"/> and leaves interrupts disabled (the caller holds, or is passing to, another lock).</summary>
    void ReleaseNested(ref uint word);
}
