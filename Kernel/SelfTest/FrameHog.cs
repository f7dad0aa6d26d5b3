using Kernel.Boot;
using Kernel.Mem;
using Kernel.Mem.Physical;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// Takes free frames away for a while, to make "out of memory" happen on a machine of any size: the runs it
/// takes are chained through their own first bytes (through the direct map), so it needs no memory of its
/// own, and <see cref="Release"/> gives every one back.
/// </summary>
internal static unsafe class FrameHog
{
    private const ulong LargestRun = 1024;

    private static ulong s_head;
    private static ulong s_taken;

    public static ulong Taken => s_taken;

    /// <summary>Takes frames until only <paramref name="leave"/> are free.</summary>
    public static void TakeAllBut(ulong leave)
    {
        FrameAllocator<KernelPhysicalMemory> frames = MemoryManager.Frames;
        ulong run = LargestRun;
        while (frames.FreeFrames > leave)
        {
            ulong want = frames.FreeFrames - leave < run ? frames.FreeFrames - leave : run;
            if (frames.AllocateRun(want, out ulong physical) != FrameAllocationStatus.Ok)
            {
                if (run == 1)
                {
                    return;
                }
                run /= 2;
                continue;
            }
            ulong* link = (ulong*)PhysicalMemory.ToVirtual(physical);
            link[0] = s_head;
            link[1] = want;
            s_head = physical;
            s_taken += want;
        }
    }

    public static void Release()
    {
        while (s_head != 0)
        {
            ulong* link = (ulong*)PhysicalMemory.ToVirtual(s_head);
            ulong next = link[0];
            ulong count = link[1];
            MemoryManager.Frames.FreeRun(s_head, count);
            s_taken -= count;
            s_head = next;
        }
    }
}
