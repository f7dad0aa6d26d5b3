using System;
using System.Threading;
using Kernel.Mem;

namespace Kernel.Tests.Emulation;

/// <summary>
/// The host's <see cref="IInterruptLock"/>: an Interlocked spin on the lock word, with each thread's
/// interrupt flag emulated so tests can see that the allocator restores it. The kernel's version saves
/// RFLAGS, executes cli and spins with lock cmpxchg.
/// </summary>
public readonly struct HostInterruptLock : IInterruptLock
{
    [ThreadStatic]
    private static bool t_interruptsDisabled;

    /// <summary>Whether the calling thread's emulated interrupt flag is set.</summary>
    public static bool InterruptsEnabled => !t_interruptsDisabled;

    public ulong CurrentHolder => (ulong)Environment.CurrentManagedThreadId;

    public ulong Acquire(ref uint word)
    {
        ulong state = t_interruptsDisabled ? 0UL : 1UL;
        t_interruptsDisabled = true;
        var spinner = new SpinWait();
        while (Interlocked.CompareExchange(ref word, 1, 0) != 0)
        {
            spinner.SpinOnce();
        }
        return state;
    }

    public void Release(ref uint word, ulong state)
    {
        Volatile.Write(ref word, 0);
        t_interruptsDisabled = state == 0;
    }

    public void AcquireNested(ref uint word)
    {
        if (!t_interruptsDisabled)
        {
            throw new InvalidOperationException("a nested acquire with interrupts enabled");
        }
        var spinner = new SpinWait();
        while (Interlocked.CompareExchange(ref word, 1, 0) != 0)
        {
            spinner.SpinOnce();
        }
    }

    public void ReleaseNested(ref uint word) => Volatile.Write(ref word, 0);
}
