using Kernel.Abi;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.SelfTest;

/// <summary>
/// The FOS user heap, checked by the programs written after the FOS tests, each run in ring 3 as the shell
/// runs them: every program checks its own figures (placements, frames, page tables, the break) and exits
/// 0 only when all held. tst_oom runs with all but 8 MiB above the kernel's reserve withheld, so that it
/// runs out on any machine; afterwards every frame must be back.
/// </summary>
internal sealed unsafe class UserHeapSuite : SelfTestSuite
{
    private const ulong OutOfMemoryHeadroom = 8 * 1024 * 1024 / Mem.MemConstants.PageSize;

    public override string Name => "uheap";

    public override void WarmUp()
    {
        ProgramRunner.Run("hello", "-q", null, out _);
    }

    public override void Run(TestContext test)
    {
        Expect(test, "tst_malloc", "tst_malloc_placements_reservations_and_frames_are_exact");
        Expect(test, "tst_free", "tst_free_returns_frames_merges_holes_and_lowers_the_break");
        Expect(test, "tst_custom_fit", "tst_custom_fit_runs_the_fos_scenario_in_ring3");
        Expect(test, "tst_blocks", "tst_blocks_classes_churn_and_bad_frees");
        Expect(test, "tst_invalid_access", "tst_invalid_access_kills_only_the_children");

        // The headroom is what user memory can get: above the kernel's reserve, which it never takes.
        ulong free = MemoryManager.Frames.FreeFrames;
        ulong leave = MemoryManager.UserFrames.ReserveFrames + OutOfMemoryHeadroom;
        FrameHog.TakeAllBut(leave);
        bool withheld = MemoryManager.Frames.FreeFrames <= leave;
        long pid = ProgramRunner.Run("tst_oom", null, null, out int status);
        FrameHog.Release();
        test.Check(withheld && pid > 0 && WaitStatus.IsExited(status) && WaitStatus.ExitStatus(status) == 0,
            "tst_oom_out_of_memory_kills_only_the_child", "tst_oom failed, or frames could not be withheld");
        test.CheckEqual(free, MemoryManager.Frames.FreeFrames, "after_out_of_memory_every_frame_is_back");
    }

    private static void Expect(TestContext test, string program, string name)
    {
        long pid = ProgramRunner.Run(program, null, null, out int status);
        test.Check(pid > 0 && WaitStatus.IsExited(status) && WaitStatus.ExitStatus(status) == 0, name, "the program reported a failed check (see its FAIL lines)");
    }
}
