using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>User programs driven from the shell the way a person types: run, background, ps, kill, Ctrl-C.</summary>
[Collection(BootCollection.Name)]
public sealed class UserBootTests
{
    [Fact]
    public void Run_hello_prints_cpl_3_its_pid_and_argv_and_exits_0()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        string listing = qemu.Run("run");
        Assert.Matches(@"programs: .*\bhello\b", listing);
        foreach (string program in new[] { "hostile", "crash", "spin", "args" })
        {
            Assert.Contains(program, listing);
        }
        string output = qemu.Run("run hello a b");
        Match line = Regex.Match(output, @"hello from ring 3: pid (\d+), cpl=3, argv = \[hello, a, b\]\n");
        Assert.True(line.Success, output);
        Assert.Contains($"process {line.Groups[1].Value} (hello) exited with status 0\n", output);
        Assert.Single(Regex.Matches(output, @"^process \d+ \(hello\)", RegexOptions.Multiline));
        Assert.Contains("process", qemu.Run("run args x yy zzz"));
        Assert.Matches(@"argv\[3\] = ""zzz"" \(3 bytes\)\nprocess \d+ \(args\) exited with status 4\n", qemu.Run("run args x yy zzz"));
    }

    // Two programs keep exact sums in SSE registers through loops the timer preempts, each switching to the
    // other: a register an interrupt entry or a context switch failed to keep shows as a wrong sum (seen with
    // the interrupt entry's SSE save left out).
    [Fact]
    public void Sse_registers_survive_preemption_and_switches_between_two_programs()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        qemu.Run("run fpu 3 &");
        qemu.Run("run fpu 5 &");
        string output = qemu.WaitFor("(fpu) exited with status", 120) + qemu.WaitFor("(fpu) exited with status", 120);
        qemu.Resync();
        Assert.DoesNotContain("FAIL", output);
        Assert.Equal(2, Regex.Matches(output, @"fpu: ok   sums_kept_in_sse_registers_across_preemption_are_exact\n").Count);
        Assert.Equal(2, Regex.Matches(output, @"fpu: 1 checks, 0 failed\n").Count);
    }

    [Fact]
    public void Bad_run_lines_get_a_clear_error_and_the_shell_goes_on()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        Assert.Contains("run: cannot run nosuch: no such program (type 'run' for the list)", qemu.Run("run nosuch"));
        Assert.Contains("run: cannot run aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: no such program", qemu.Run("run " + new string('a', 55)));
        Assert.Contains("usage: run", qemu.Run("run &"));
        Assert.Contains("usage: kill PID", qemu.Run("kill"));
        Assert.Contains("usage: kill PID", qemu.Run("kill 12abc"));
        Assert.Contains("kill: no running process 4242", qemu.Run("kill 4242"));
        Assert.Contains("kill: process 1 (shell) is part of the kernel", qemu.Run("kill 1"));
        Assert.Contains("usage: ps", qemu.Run("ps now"));
        Assert.Contains("exited with status 0", qemu.Run("run hello"));

        // A line with more words than the shell splits, or more characters than it holds, is refused whole: cut
        // short, it would be another command (here the trailing & would be lost and argv cut to 15 words).
        string manyWords = qemu.Run("run args " + string.Join(' ', Enumerable.Range(1, 20)) + " &");
        Assert.Contains("too many words: at most 16 words; nothing was run", manyWords);
        Assert.DoesNotContain("process", manyWords);
        string longLine = qemu.Run("echo " + new string('x', 300));
        Assert.Contains("line too long: at most 255 characters; nothing was run", longLine);
        Assert.DoesNotMatch(new Regex("^x+$", RegexOptions.Multiline), longLine);
        Assert.Contains("\nafter-long-line\n", qemu.Run("echo after-long-line"));

        // Without a page file there is no working set: the options are named as having no effect, not dropped in silence.
        string options = qemu.Run("run -ws 8 -policy lru hello -q");
        Assert.Contains("run: no page file, so -ws and -policy have no effect", options);
        Assert.Contains("exited with status 0", options);
    }

    [Fact]
    public void Hostile_gets_an_error_for_every_attack_and_exits_0()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        string output = qemu.Run("run hostile", 120);

        Assert.DoesNotContain("hostile: FAIL", output);
        Assert.True(Regex.Matches(output, @"^hostile: ok ", RegexOptions.Multiline).Count >= 40, output);
        Assert.Matches(@"hostile: \d+ checks, 0 unexpected\n", output);
        Assert.Matches(@"process \d+ \(hostile\) exited with status 0\n", output);
        Assert.Contains("exited with status 0", qemu.Run("run hello"));
    }

    public static TheoryData<string, string> CrashKinds => new TheoryData<string, string>
    {
        { "null", @"killed: read through a null pointer 0x0000000000000000 at rip 0x[0-9a-f]{16} \(Program\.Main\+0x[0-9a-f]+\)" },
        { "kernel-read", @"killed: read of a kernel address 0xffff800000100000 at rip 0x[0-9a-f]{16}" },
        { "kernel-write", @"killed: write to a kernel address 0xffff800000100000 at rip 0x[0-9a-f]{16}" },
        { "kernel-image", @"killed: read of a kernel address 0xffffffff80100000 at rip" },
        { "text-write", @"killed: write to a read-only page 0x00000000004[0-9a-f]{5} at rip" },
        { "exec-stack", @"killed: execute of a no-execute page 0x00007fffffff[0-9a-f]{4} at rip 0x00007fffffff" },
        { "noncanonical", @"killed: general protection fault: non-canonical address" },
        { "privileged", @"killed: general protection fault: privileged instruction at rip 0x[0-9a-f]{16} \(CrashPrivileged\+0x0\)" },
        { "ud", @"killed: invalid opcode at rip" },
        { "div0", @"killed: divide error \(division by zero or overflow\) at rip" },
        { "stack-overflow", @"killed: stack overflow: guard page hit 0x00007ffffffe[0-9a-f]{4} at rip 0x[0-9a-f]{16} \(Program\.Recurse\+" },
        { "trap", @"killed: debug trap \(single-step\) at rip" },
        { "int80", @"killed: general protection fault, error code 0x0000000000000802" },
        { "throw", @"killed: unhandled exception System\.InvalidOperationException: thrown on request" },
        { "index", @"killed: unhandled exception System\.IndexOutOfRangeException: index was outside the bounds of the array" },
    };

    [Fact]
    public void Every_kind_of_crash_kills_only_its_process_with_its_reason_and_leaks_nothing()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        qemu.Run("run hello -q");
        ulong before = Meminfo.FreeFrames(qemu.Run("meminfo"));

        foreach (var row in CrashKinds)
        {
            string kind = (string)row[0];
            string output = qemu.Run("run crash " + kind);
            Assert.Matches(@"process \d+ \(crash\) " + (string)row[1], output);
            Assert.Single(Regex.Matches(output, @"^process \d+ \(crash\)", RegexOptions.Multiline));
        }

        Assert.Equal(before, Meminfo.FreeFrames(qemu.Run("meminfo")));
        Assert.Matches(@"hello from ring 3: pid \d+, cpl=3", qemu.Run("run hello"));
    }

    [Fact]
    public void Background_programs_interleave_show_in_ps_and_end_by_kill()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        ulong before = Meminfo.FreeFrames(qemu.Run("meminfo"));

        Match started = Regex.Match(qemu.Run("run spin &"), @"process (\d+) \(spin\) started\n");
        Assert.True(started.Success);
        string pid = started.Groups[1].Value;
        string ps = qemu.Run("ps");
        Assert.Matches(@"PID\s+NAME\s+STATE\s+FRAMES\s+TABLES\s+RESERVED\s+WS\s+FAULTS\s+TICKS", ps);
        Assert.Matches(new Regex(@"^\s+1\s+shell\s+running", RegexOptions.Multiline), ps);
        Assert.Matches(new Regex(@"^\s+" + pid + @"\s+spin\s+(ready|running)\s+\d+\s+\d+\s+\d+\s+(\d+|-)\s+\d+\s+\d+$", RegexOptions.Multiline), ps);

        // vm walks a process's own page tables: its text is user, read-only, executable; the kernel's tables
        // have nothing in the lower half, and say where to look.
        string text = qemu.Run($"vm {pid} 0x400000");
        Assert.Matches(@"\n  PTE   0x[0-9a-f]{16} P R U( A)?( D)?( G)? X\n-> physical 0x[0-9a-f]{16} \(4 KiB page\)\n", text);
        Assert.Contains("(a user address: 'vm PID ADDR' walks that process's page tables)", qemu.Run("vm 0x400000"));
        Assert.Contains("vm: no running user process 4242", qemu.Run("vm 4242 0x400000"));
        Assert.Contains("usage: vm [PID] ADDR", qemu.Run("vm 1 2 3"));

        // The spinning program never yields, yet the shell answers, and two more programs share the CPU.
        qemu.Run("run spin 1 A &");
        qemu.Run("run spin 1 B &");
        string both = qemu.WaitFor("(spin) exited with status 0", 60) + qemu.WaitFor("(spin) exited with status 0", 60);
        int a = both.IndexOf("A 9\n", System.StringComparison.Ordinal);
        int b = both.IndexOf("B 1\n", System.StringComparison.Ordinal);
        Assert.True(a > 0 && b > 0 && b < a, "A and B did not interleave:\n" + both);
        qemu.Resync();

        Assert.Contains($"process {pid} (spin) killed: by request\n", qemu.Run("kill " + pid));
        Assert.DoesNotMatch(@"\bspin\b", qemu.Run("ps"));
        Assert.Equal(before, Meminfo.FreeFrames(qemu.Run("meminfo")));
    }

    [Fact]
    public void Ctrl_c_kills_the_foreground_program()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));

        qemu.Type("run spin\r");
        qemu.WaitFor("run spin");
        System.Threading.Thread.Sleep(300);
        qemu.Type("\u0003");
        Assert.Matches(@"process \d+ \(spin\) killed: interrupted \(Ctrl-C\)", qemu.WaitFor(QemuSession.Prompt));
        Assert.Contains("exited with status 0", qemu.Run("run hello"));
    }

    [Fact]
    public void A_hundred_runs_leave_the_free_frames_and_the_kernel_heap_where_they_were()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        qemu.Run("run hello -q");
        string first = qemu.Run("meminfo");

        for (int i = 0; i < 100; i++)
        {
            Assert.Contains("exited with status 0", qemu.Run(i % 10 == 9 ? "run args a b" : "run hello -q").Replace("status 3", "status 0"));
        }

        string after = qemu.Run("meminfo");
        Assert.Equal(Meminfo.FreeFrames(first), Meminfo.FreeFrames(after));
        Assert.Equal(Regex.Match(first, @"block area: .*").Value, Regex.Match(after, @"block area: .*").Value);
        Assert.Equal(Regex.Match(first, @"page area: .*").Value, Regex.Match(after, @"page area: .*").Value);
    }
}
