using Kernel.Abi;
using Kernel.Mem.Replacement;
using Kernel.Memory;
using Kernel.Swap;
using Kernel.Tasks;

namespace Kernel.SelfTest;

/// <summary>
/// Page replacement against the page file, when the machine has one (a disk carrying the page-file
/// signature): refpattern, with a working set of 11 pages, sees exactly the faults, page-ins, page-outs and
/// writes avoided the host-tested model predicts, under each policy; modified CLOCK writes fewer pages than
/// CLOCK on its read-mostly pattern; bigheap reads back every word through a working set far smaller than
/// its heap; and every slot is back afterwards. Without a page file, processes get no working set.
/// </summary>
internal sealed unsafe class PageFileSuite : SelfTestSuite
{
    private const int PatternWorkingSet = 11;

    public override string Name => "pagefile";

    public override void WarmUp()
    {
        ProgramRunner.Run("hello", "-q", null, out _);
    }

    public override void Run(TestContext test)
    {
        if (!PageFile.IsPresent)
        {
            Tasks.Process child = ProgramRunner.Spawn("hello", "-q", null);
            bool noSet = child != null && child.AddressSpace != null && child.AddressSpace.WorkingSet == null;
            ProcessManager.Reap(ProgramRunner.WaitEnd(child));
            test.Check(noSet, "without_a_page_file_processes_get_no_working_set", "a process got a working set");
            return;
        }
        ulong slots = PageFile.SlotsInUse;
        ulong clockWrites = Pattern(test, ReplacementPolicy.Clock, "refpattern_clock_agrees_with_the_model");
        ulong modifiedWrites = Pattern(test, ReplacementPolicy.ModifiedClock, "refpattern_modified_clock_agrees_with_the_model");
        Pattern(test, ReplacementPolicy.LruAging, "refpattern_lru_aging_agrees_with_the_model");
        test.Check(modifiedWrites < clockWrites, "modified_clock_writes_fewer_pages_than_clock_on_a_read_mostly_pattern",
            "modified CLOCK wrote as many pages as CLOCK");

        var options = new SpawnOptions { WorkingSetPages = 64, Policy = ReplacementPolicy.Clock };
        Tasks.Process big = ProgramRunner.Spawn("bigheap", "4", null, options);
        ProgramRunner.WaitEnd(big);
        bool verified = big.Signal == 0 && big.ExitStatus == 0 && big.FinalPaging.PageOuts > 0 && big.FinalPaging.PageIns > 0;
        ProcessManager.Reap(big);
        test.Check(verified, "bigheap_reads_back_4_MiB_through_a_64_page_working_set", "bigheap failed, or nothing was paged");
        test.CheckEqual(slots, PageFile.SlotsInUse, "every_page_file_slot_comes_back");
    }

    /// <summary>Runs refpattern with a working set of 11 pages under <paramref name="policy"/>; returns its page-outs.</summary>
    private static ulong Pattern(TestContext test, ReplacementPolicy policy, string name)
    {
        var options = new SpawnOptions { WorkingSetPages = PatternWorkingSet, Policy = policy };
        Tasks.Process child = ProgramRunner.Spawn("refpattern", null, null, options);
        if (child == null)
        {
            test.Check(false, name, "refpattern did not start");
            return 0;
        }
        ProgramRunner.WaitEnd(child);
        bool agrees = child.Signal == 0 && child.ExitStatus == 0;
        ulong pageOuts = child.FinalPaging.PageOuts;
        ProcessManager.Reap(child);
        test.Check(agrees, name, "its figures differ from the model's (see its FAIL line)");
        return pageOuts;
    }
}
