using System.Runtime.CompilerServices;
using System.Threading;
using Kernel.Arch;
using Kernel.Mem;

namespace Kernel.Memory;

/// <summary>
/// Kernel.Mem's interrupt-safe lock on the machine: save RFLAGS and <c>cli</c>, so an interrupt handler
/// can never spin on a lock its own CPU holds, then take the word 0 -> 1 with <c>lock cmpxchg</c>.
/// Release stores 0 (a release on x86) and restores the interrupt flag it is given. Each is one stub in
/// cpu.asm, since under emulation a call costs more than the instructions it wraps. The nested pair, for a
/// lock taken inside another, is the compiler's inline <c>lock cmpxchg</c> and <c>xchg</c>.
/// </summary>
internal readonly unsafe struct KernelInterruptLock : IInterruptLock
{
    // The only CPU's id as a holder (never 0). With more CPUs this becomes the CPU's own number + 1.
    private const ulong BootCpuHolder = 1;

    public ulong CurrentHolder => BootCpuHolder;

    public ulong Acquire(ref uint word) => Cpu.SpinLockAcquire((uint*)Unsafe.AsPointer(ref word));

    public void Release(ref uint word, ulong state) => Cpu.SpinLockRelease((uint*)Unsafe.AsPointer(ref word), state);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AcquireNested(ref uint word)
    {
        ref int location = ref Unsafe.As<uint, int>(ref word);
        while (Interlocked.CompareExchange(ref location, 1, 0) != 0)
        {
            Cpu.Pause();
        }
    }

    // XCHG is a full barrier: nothing done under the lock moves past the release.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReleaseNested(ref uint word) => Interlocked.Exchange(ref Unsafe.As<uint, int>(ref word), 0);
}
