using Kernel.Abi;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Syscalls;

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
        KernelPageStore store = default;
        return ToErrno(self.AddressSpace.FreeHeap(address, size, ref store, out _));
    }

    /// <summary>
    /// mlockall(flags): MCL_CURRENT (1) locks every page backed now in memory, taking it out of the working set
    /// for good and reading back the ones in the page file (tests use it to keep their own stack and metadata
    /// out of a replacement experiment). -ENOMEM when no frame is left for a swapped page, -EIO when the page
    /// file fails to give one back. MCL_FUTURE is not offered: -EINVAL, as for any other flag.
    /// </summary>
    public static long LockAll(ulong flags)
    {
        const ulong LockCurrent = 1;
        if (flags != LockCurrent)
        {
            return -Errno.EINVAL;
        }
        KernelPageStore store = default;
        return ToErrno(ProcessManager.Current.AddressSpace.PinResidentPages(ref store));
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
            case UserMemoryStatus.PageFileError:
                return -Errno.EIO;
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
            counters.PageIns = self.AddressSpace.PageIns;
            counters.PageOuts = self.AddressSpace.PageOuts;
            counters.WritesAvoided = self.AddressSpace.WritesAvoided;
            counters.SlotsHeld = self.AddressSpace.SlotsHeld;
            if (self.AddressSpace.WorkingSet != null)
            {
                counters.WorkingSetPages = (ulong)self.AddressSpace.WorkingSet.Count;
                counters.WorkingSetCapacity = (ulong)self.AddressSpace.WorkingSet.Capacity;
                counters.Policy = (ulong)self.AddressSpace.WorkingSet.Policy;
            }
        }
        counters.PageFaults = self.PageFaults;
        counters.AgingSteps = self.AgingSteps;
        counters.Ticks = self.CurrentTicks;
        counters.FreeFrames = MemoryManager.Frames.FreeFrames;
        counters.AvailableFrames = MemoryManager.UserFrames.AvailableFrames;
        return UserMemory.CopyTo(destination, &counters, (ulong)sizeof(MemoryCounters));
    }
}
