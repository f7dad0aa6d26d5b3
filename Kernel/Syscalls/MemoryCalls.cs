using Kernel.Abi;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Syscalls
{
    /// <summary>The memory figures a program may ask about itself.</summary>
    internal static unsafe class MemoryCalls
    {
        public static long Counters(ulong destination)
        {
            Process self = ProcessManager.Current;
            MemoryCounters counters = default;
            if (self.AddressSpace != null)
            {
                counters.ResidentFrames = self.AddressSpace.ResidentPages;
                counters.PageTableFrames = self.AddressSpace.TableFrames;
            }
            counters.PageFaults = self.PageFaults;
            counters.Ticks = self.CurrentTicks;
            counters.FreeFrames = MemoryManager.Frames.FreeFrames;
            return UserMemory.CopyTo(destination, &counters, (ulong)sizeof(MemoryCounters));
        }
    }
}
