using Kernel.Abi;
using Kernel.Mem;
using Kernel.Mem.User;
using UserRuntime;

/// <summary>
/// Out of memory ends the process that ran out, not the kernel: a child reserves most of the user heap and
/// touches it page by page until no frame is left; it must be killed (SIGKILL, "out of memory"), and every
/// frame it held must come back. Run "tst_oom child" to see its reason. With more free RAM than the heap can
/// reserve, the child cannot run out and the test says it was skipped (exit status 2) instead of passing (the kernel's suite withholds
/// frames first; a boot test gives QEMU little RAM).
/// </summary>
internal static unsafe class Program
{
    private const ulong Reservation = 470 * MemConstants.MiB;

    internal static int Main(string[] args)
    {
        if (args.Length == 2 && args[1] == "child")
        {
            byte* memory = (byte*)Heap.Malloc(Reservation);
            if (memory == null)
            {
                System.Console.WriteLine("tst_oom child: malloc failed");
                return 3;
            }
            Memory.TouchPages(memory, Reservation, 0x5A);
            System.Console.WriteLine("tst_oom child: touched every page without running out of memory");
            return 4;
        }
        TestLog.Begin("tst_oom");
        string[] childArguments = { "child" };
        MemoryCounters before = Memory.Counters();
        if (before.AvailableFrames * MemConstants.PageSize > Reservation)
        {
            TestLog.Skip("a_child_that_runs_out_of_frames_is_killed",
                "more free RAM than the 470 MiB a child can reserve, so it cannot run out (the uheap suite withholds frames first; or give QEMU less RAM)");
            return TestLog.End();
        }
        long child = Process.Spawn("tst_oom", childArguments);
        long waited = Process.Wait(child, out int status);
        MemoryCounters after = Memory.Counters();
        TestLog.Check(child > 0 && waited == child && WaitStatus.IsSignaled(status) && WaitStatus.TermSignal(status) == Signal.SIGKILL,
            "a_child_that_runs_out_of_frames_is_killed");
        TestLog.Equal(before.FreeFrames, after.FreeFrames, "every_frame_it_held_comes_back");
        return TestLog.End();
    }
}
