using Kernel.Abi;
using Kernel.Mem;
using Kernel.Mem.User;
using UserRuntime;

/// <summary>
/// What a program touches wrongly ends only that program: each kind runs in a child (run
/// "tst_invalid_access KIND" to see the reason), which must be killed by SIGSEGV while this process goes on.
/// </summary>
internal static unsafe class Program
{
    private static readonly string[] s_kinds = { "page0", "kernel", "unreserved-heap", "above-break", "text-write", "runtime-region-end" };

    private static readonly string[] s_names =
    {
        "page0_kills_only_the_child", "a_kernel_address_kills_only_the_child", "an_unreserved_heap_page_kills_only_the_child",
        "a_page_above_the_break_kills_only_the_child", "a_write_to_its_text_kills_only_the_child", "past_the_runtime_region_kills_only_the_child",
    };

    internal static int Main(string[] args)
    {
        if (args.Length == 2)
        {
            return Touch(args[1]);
        }
        TestLog.Begin("tst_invalid_access");
        string[] childArguments = new string[1];
        bool parentUntouched = true;
        for (int i = 0; i < s_kinds.Length; i++)
        {
            childArguments[0] = s_kinds[i];
            MemoryCounters before = Memory.Counters();
            long child = Process.Spawn("tst_invalid_access", childArguments);
            long waited = Process.Wait(child, out int status);
            MemoryCounters after = Memory.Counters();
            parentUntouched &= after.ResidentFrames == before.ResidentFrames && after.PageFaults == before.PageFaults;
            TestLog.Check(child > 0 && waited == child && WaitStatus.IsSignaled(status) && WaitStatus.TermSignal(status) == Signal.SIGSEGV,
                s_names[i]);
        }
        TestLog.Check(parentUntouched, "the_parent_takes_no_frame_and_no_fault_from_its_children");
        return TestLog.End();
    }

    private static int Touch(string kind)
    {
        byte* target;
        if (kind == "page0")
        {
            target = (byte*)0;
        }
        else if (kind == "kernel")
        {
            target = (byte*)0xFFFF_8000_0000_1000;
        }
        else if (kind == "unreserved-heap")
        {
            // In the block area's range, but far above any page the block allocator has taken.
            target = (byte*)(UserLayout.HeapBase + UserLayout.BlockAreaSize - MemConstants.PageSize);
        }
        else if (kind == "above-break")
        {
            target = (byte*)(Heap.Break + 16 * MemConstants.MiB);
        }
        else if (kind == "text-write")
        {
            delegate*<string[], int> main = &Main;
            target = (byte*)main;
        }
        else if (kind == "runtime-region-end")
        {
            target = (byte*)(UserLayout.RuntimeRegionBase + UserLayout.RuntimeRegionSize);
        }
        else
        {
            System.Console.WriteLine("usage: tst_invalid_access [page0|kernel|unreserved-heap|above-break|text-write|runtime-region-end]");
            return 2;
        }
        *target = 1;
        return 0;
    }
}
