using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Mem.Pebble;

namespace Kernel.Memory
{
    /// <summary>
    /// Kernel.Mem's interrupt-safe lock on the machine: save RFLAGS and <c>cli</c>, so an interrupt handler
    /// can never spin on a lock its own CPU holds, then take the word 0 -> 1 with <c>lock cmpxchg</c>.
    /// Release stores 0 the same way (a full barrier) and restores the interrupt flag it is given.
    /// </summary>
    internal readonly unsafe struct KernelInterruptLock : IInterruptLock
    {
        private static ulong s_contended;

        /// <summary>Times an acquire found the lock held and had to spin (always 0 on one CPU without bugs).</summary>
        public static ulong Contended => s_contended;

        public ulong Acquire(ref uint word)
        {
            ulong flags = Cpu.SaveAndDisableInterrupts();
            int* location = (int*)Unsafe.AsPointer(ref word);
            if (Cpu.CompareExchange32(location, 1, 0) != 0)
            {
                s_contended++;
                while (Cpu.CompareExchange32(location, 1, 0) != 0)
                {
                    Cpu.Pause();
                }
            }
            return flags;
        }

        public void Release(ref uint word, ulong state)
        {
            Cpu.CompareExchange32((int*)Unsafe.AsPointer(ref word), 0, 1);
            Cpu.RestoreInterrupts(state);
        }
    }
}
