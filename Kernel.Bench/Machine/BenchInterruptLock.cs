using System.Threading;
using Kernel.Mem;

namespace Kernel.Bench.Machine;

/// <summary>
/// The memory lock's seam as the benchmarks use it: what the kernel's lock does on the machine
/// (<c>lock cmpxchg</c> to take the word, a plain store to free it), without the interrupt flag, which a host
/// process cannot touch. The tests' HostInterruptLock emulates that flag per thread, at the cost of
/// thread-local reads and writes the kernel does not pay. The benchmarks run on one thread, so the holder
/// is a constant, as it is on the kernel's one CPU.
/// </summary>
internal readonly struct BenchInterruptLock : IInterruptLock
{
    private const ulong OnlyThread = 1;

    public ulong CurrentHolder => OnlyThread;

    public ulong Acquire(ref uint word)
    {
        while (Interlocked.CompareExchange(ref word, 1, 0) != 0)
        {
            Thread.SpinWait(1);
        }
        return 0;
    }

    public void Release(ref uint word, ulong state) => Volatile.Write(ref word, 0);

    public void AcquireNested(ref uint word) => Acquire(ref word);

    public void ReleaseNested(ref uint word) => Volatile.Write(ref word, 0);
}
