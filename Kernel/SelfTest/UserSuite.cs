using Kernel.Abi;
using Kernel.Arch;
using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.SelfTest;

/// <summary>
/// Programs in ring 3, run by the shell's thread the way <c>run</c> does: they start and end with their
/// status, their arguments arrive, two of them share the CPU under preemption, one that never yields
/// leaves the shell running, kill ends one, and every kind of fault ends only the program that made it.
/// The runner's no_leak check then proves every frame, page table, stack and kernel object came back.
/// </summary>
internal sealed unsafe class UserSuite : SelfTestSuite
{
    public override string Name => "user";

    /// <summary>One run of a program: the first spawn creates the thread-stack bitmap and warms the dispatch cache.</summary>
    public override void WarmUp()
    {
        ProgramRunner.Run("hello", "-q", null, out _);
    }

    public override void Run(TestContext test)
    {
        test.Check(ProgramImages.Count >= 5, "programs_are_shipped_as_modules", "fewer than five bin/ modules");

        long pid = ProgramRunner.Run("hello", "-q", null, out int status);
        test.Check(pid > 1 && WaitStatus.IsExited(status) && WaitStatus.ExitStatus(status) == 0, "hello_runs_in_ring3_and_exits_0", "hello did not exit with status 0");

        ProgramRunner.Run("args", "one", "three", out status);
        test.CheckEqual(3, (ulong)WaitStatus.ExitStatus(status), "argv_arrives_argc_is_the_exit_status");

        ulong freeBefore = MemoryManager.Frames.FreeFrames;
        for (int i = 0; i < 5; i++)
        {
            ProgramRunner.Run("hello", "-q", null, out _);
        }
        test.CheckEqual(freeBefore, MemoryManager.Frames.FreeFrames, "five_runs_return_every_frame");

        Preemption(test);
        NeverYielding(test);
        Faults(test);
        Refusals(test);
    }

    /// <summary>Two programs that never yield, each for 200 ms of CPU: only the timer can switch between them.</summary>
    private static void Preemption(TestContext test)
    {
        ulong switches = Scheduler.Switches;
        Tasks.Process a = ProgramRunner.Spawn("spin", "200ms", null);
        Tasks.Process b = ProgramRunner.Spawn("spin", "200ms", null);
        ulong start = Pit.Ticks;
        ProgramRunner.WaitEnd(a);
        ProgramRunner.WaitEnd(b);
        ulong elapsed = Pit.Ticks - start;
        bool interleaved = a.Ticks >= 200 && b.Ticks >= 200 && Scheduler.Switches - switches > elapsed / Scheduler.SliceTicks / 2;
        test.Check(interleaved, "two_programs_interleave_under_preemption", "too few context switches while two spins ran");
        ProcessManager.Reap(a);
        ProcessManager.Reap(b);
    }

    /// <summary>A program that spins forever: the shell still gets the CPU (it sleeps and wakes), and kill ends it.</summary>
    private static void NeverYielding(TestContext test)
    {
        Tasks.Process spin = ProgramRunner.Spawn("spin", null, null);
        ulong before = Pit.Ticks;
        // A wake-up left over from earlier events may end a sleep early: sleep until the tick really came.
        while (!Scheduler.SleepUntil(before + 50))
        {
        }
        test.Check(Pit.Ticks >= before + 50 && spin.CurrentTicks > 20, "a_program_that_never_yields_does_not_stop_the_shell", "the shell did not wake beside a spinning program");
        if (ProcessManager.RequestKill(spin, Signal.SIGKILL, out ReasonBuilder reason))
        {
            reason.Text("by request");
        }
        ProgramRunner.WaitEnd(spin);
        test.Check(spin.Signal == Signal.SIGKILL, "kill_ends_a_running_program", "the spinning program did not end by SIGKILL");
        ProcessManager.Reap(spin);
    }

    private static void Faults(TestContext test)
    {
        ExpectKilled(test, "null", Signal.SIGSEGV, "fault_null_kills_only_the_program");
        ExpectKilled(test, "kernel-read", Signal.SIGSEGV, "fault_kernel_read_kills_only_the_program");
        ExpectKilled(test, "kernel-write", Signal.SIGSEGV, "fault_kernel_write_kills_only_the_program");
        ExpectKilled(test, "text-write", Signal.SIGSEGV, "fault_text_write_kills_only_the_program");
        if (CpuFeatures.HasNoExecute)
        {
            ExpectKilled(test, "exec-stack", Signal.SIGSEGV, "fault_exec_stack_kills_only_the_program");
        }
        else
        {
            // Without NX every readable page is executable: the stack's "ret" runs and the program goes on.
            ProgramRunner.Run("crash", "exec-stack", null, out int exitWord);
            test.Check(WaitStatus.IsExited(exitWord), "exec_stack_runs_on_a_cpu_without_nx", "the program did not exit normally");
        }
        ExpectKilled(test, "noncanonical", Signal.SIGSEGV, "fault_noncanonical_kills_only_the_program");
        ExpectKilled(test, "privileged", Signal.SIGSEGV, "fault_privileged_kills_only_the_program");
        ExpectKilled(test, "ud", Signal.SIGILL, "fault_invalid_opcode_kills_only_the_program");
        ExpectKilled(test, "div0", Signal.SIGFPE, "fault_divide_error_kills_only_the_program");
        ExpectKilled(test, "stack-overflow", Signal.SIGSEGV, "fault_stack_overflow_kills_only_the_program");
        ExpectKilled(test, "throw", Signal.SIGABRT, "unhandled_exception_kills_only_the_program");
        long pid = ProgramRunner.Run("hostile", null, null, out int status);
        test.Check(pid > 0 && WaitStatus.IsExited(status) && WaitStatus.ExitStatus(status) == 0, "hostile_system_calls_all_get_errors", "hostile reported an unexpected answer");
    }

    private static void Refusals(TestContext test)
    {
        byte* name = stackalloc byte[] { (byte)'n', (byte)'o', (byte)'p', (byte)'e' };
        long status = ProcessManager.Spawn(name, 4, null, null, 0, ProcessManager.Shell, out _, out _);
        test.CheckEqual((ulong)Errno.ENOENT, (ulong)(-status), "unknown_program_is_enoent");
    }

    private static void ExpectKilled(TestContext test, string kind, int signal, string name)
    {
        Tasks.Process child = ProgramRunner.Spawn("crash", kind, null);
        if (child == null)
        {
            test.Check(false, name, "crash did not start");
            return;
        }
        ProgramRunner.WaitEnd(child);
        bool ok = child.Signal == signal && child.HasReason;
        ProcessManager.Reap(child);
        test.Check(ok, name, "not killed by the expected signal");
    }
}
