using Kernel.Abi;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Syscalls
{
    /// <summary>The FOS user-heap calls and the memory figures a program may ask about itself.</summary>
    internal static unsafe class MemoryCalls
    {
        /// <summary>
        /// allocate_user_mem(va, size): reserves heap pages without taking frames. -EINVAL for a misaligned,
        /// empty or out-of-heap range, -EEXIST when a page is reserved already, -ENOMEM when no frame is left
        /// for a page table.
        /// </summary>
        public static long AllocateUserMemory(ulong address, ulong size)
        {
            Process self = ProcessManager.Current;
            return ToErrno(self.AddressSpace.ReserveHeap(address, size));
        }

        /// <summary>free_user_mem(va, size): releases heap pages and the frames of those that were touched.</summary>
        public static long FreeUserMemory(ulong address, ulong size)
        {
            Process self = ProcessManager.Current;
            return ToErrno(self.AddressSpace.FreeHeap(address, size, out _));
        }

        private static long ToErrno(UserMemoryStatus status)
        {
            switch (status)
            {
                case UserMemoryStatus.Ok:
                    return 0;
                case UserMemoryStatus.AlreadyReserved:
                    return -Errno.EEXIST;
                case UserMemoryStatus.OutOfMemory:
                    return -Errno.ENOMEM;
                default:
                    return -Errno.EINVAL;
            }
        }

        public static long Counters(ulong destination)
        {
            Process self = ProcessManager.Current;
            MemoryCounters counters = default;
            if (self.AddressSpace != null)
            {
                counters.ResidentFrames = self.AddressSpace.ResidentPages;
                counters.PageTableFrames = self.AddressSpace.TableFrames;
                counters.HeapReservedPages = self.AddressSpace.HeapReservedPages;
                counters.HeapResidentPages = self.AddressSpace.HeapResidentPages;
            }
            counters.PageFaults = self.PageFaults;
            counters.Ticks = self.CurrentTicks;
            counters.FreeFrames = MemoryManager.Frames.FreeFrames;
            return UserMemory.CopyTo(destination, &counters, (ulong)sizeof(MemoryCounters));
        }
    }
}
