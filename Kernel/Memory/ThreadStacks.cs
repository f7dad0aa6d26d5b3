using Kernel.Mem;
using Kernel.Mem.Paging;

namespace Kernel.Memory;

/// <summary>
/// Kernel stacks for threads: 16 KiB each, in slots of the thread-stack region (<see cref="KernelLayout"/>)
/// whose lower half stays unmapped, so an overflow runs into 16 KiB of guard pages and faults instead of
/// corrupting the stack below. The region lies in the kernel half, whose tables every address space
/// shares, so a stack is reachable whatever CR3 holds. Frames come from the frame source and go back to
/// it on <see cref="Free"/>: a thread that ends leaves nothing behind.
/// </summary>
internal static class ThreadStacks
{
    private const ulong Pages = KernelLayout.ThreadStackSize / MemConstants.PageSize;
    private const ulong GuardBytes = KernelLayout.ThreadStackSlotSize - KernelLayout.ThreadStackSize;

    private static ulong[] s_usedSlots;
    private static int s_inUse;

    public static int InUse => s_inUse;

    /// <summary>Maps a stack; returns the address of its top (16-byte aligned), or 0 when out of slots or frames.</summary>
    public static ulong Allocate()
    {
        if (s_usedSlots == null)
        {
            s_usedSlots = new ulong[KernelLayout.ThreadStackSlots / 64];
        }
        int slot = -1;
        for (int i = 0; i < KernelLayout.ThreadStackSlots; i++)
        {
            if ((s_usedSlots[i / 64] & (1UL << (i % 64))) == 0)
            {
                slot = i;
                break;
            }
        }
        if (slot < 0)
        {
            return 0;
        }
        ulong bottom = SlotBase(slot) + GuardBytes;
        for (ulong page = 0; page < Pages; page++)
        {
            if (MemoryManager.MapKernelPage(bottom + page * MemConstants.PageSize) != PagingStatus.Success)
            {
                Release(bottom, page);
                return 0;
            }
        }
        s_usedSlots[slot / 64] |= 1UL << (slot % 64);
        s_inUse++;
        return bottom + KernelLayout.ThreadStackSize;
    }

    /// <summary>Unmaps the stack whose top is <paramref name="top"/> and returns its frames. The caller runs on another stack.</summary>
    public static void Free(ulong top)
    {
        ulong bottom = top - KernelLayout.ThreadStackSize;
        int slot = (int)((bottom - GuardBytes - KernelLayout.ThreadStackBase) / KernelLayout.ThreadStackSlotSize);
        Release(bottom, Pages);
        s_usedSlots[slot / 64] &= ~(1UL << (slot % 64));
        s_inUse--;
    }

    /// <summary>Whether <paramref name="address"/> is in the guard part of a thread-stack slot.</summary>
    public static bool IsGuard(ulong address)
    {
        return KernelLayout.IsThreadStackAddress(address)
            && (address - KernelLayout.ThreadStackBase) % KernelLayout.ThreadStackSlotSize < GuardBytes;
    }

    /// <summary>The top of the thread stack slot that holds <paramref name="address"/> (which must be in the region).</summary>
    public static ulong TopOf(ulong address)
    {
        ulong slot = (address - KernelLayout.ThreadStackBase) / KernelLayout.ThreadStackSlotSize;
        return KernelLayout.ThreadStackBase + (slot + 1) * KernelLayout.ThreadStackSlotSize;
    }

    private static ulong SlotBase(int slot) => KernelLayout.ThreadStackBase + (ulong)slot * KernelLayout.ThreadStackSlotSize;

    private static void Release(ulong bottom, ulong pages)
    {
        for (ulong page = 0; page < pages; page++)
        {
            MemoryManager.UnmapKernelPage(bottom + page * MemConstants.PageSize);
        }
    }
}
