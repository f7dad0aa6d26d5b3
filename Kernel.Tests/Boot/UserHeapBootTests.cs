using System;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// The FOS user heap from the shell: the heap test programs pass, each wrong access kills only its process
/// with a reason naming the address, <c>ps</c> and <c>uheap</c> show what a running program has reserved and
/// touched, and running out of memory (QEMU with 64 MiB) kills only the process that ran out, whatever
/// else is asked of the kernel meanwhile; every frame comes back. One boot per group.
/// </summary>
[Collection(BootCollection.Name)]
public sealed class UserHeapBootTests
{
    private const string SmallMachine = "64M";

    // The numbers of tst_edges hold: 64 KiB (16 pages) at the start of the page area with its first 3
    // touched, then 1 MiB (256 pages) with its last touched; a few more pages are the block area's.
    private const int HoldPages = 16 + 256;

    public static TheoryData<string, string> WrongAccesses => new TheoryData<string, string>
    {
        { "tst_free touch-freed", @"write to a heap page that is not reserved \(freed or never allocated\) 0x0000000082002388 at rip 0x[0-9a-f]{16} \(Program\.Main\+0x[0-9a-f]+\)" },
        { "tst_invalid_access page0", @"write through a null pointer 0x0000000000000000 at rip 0x[0-9a-f]{16} \(Program\.Touch\+0x[0-9a-f]+\)" },
        { "tst_invalid_access kernel", @"write to a kernel address 0xffff800000001000 at rip 0x[0-9a-f]{16} \(Program\.Touch\+0x[0-9a-f]+\)" },
        { "tst_invalid_access unreserved-heap", @"write to a heap page that is not reserved \(freed or never allocated\) 0x0000000081fff000 at rip 0x[0-9a-f]{16} \(Program\.Touch\+0x[0-9a-f]+\)" },
        { "tst_invalid_access above-break", @"write to a heap page that is not reserved \(freed or never allocated\) 0x0000000083001000 at rip 0x[0-9a-f]{16} \(Program\.Touch\+0x[0-9a-f]+\)" },
        { "tst_invalid_access text-write", @"write to a read-only page 0x00000000004[0-9a-f]{5} at rip 0x[0-9a-f]{16} \(Program\.Touch\+0x[0-9a-f]+\)" },
        { "tst_invalid_access runtime-region-end", @"write to an unmapped address 0x00000000a0400000 at rip 0x[0-9a-f]{16} \(Program\.Touch\+0x[0-9a-f]+\)" },
    };

    [Fact]
    public void The_heap_test_programs_pass_and_each_wrong_access_kills_only_its_process_naming_the_address()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        qemu.Run("run hello -q");
        ulong before = Meminfo.FreeFrames(qemu.Run("meminfo"));

        foreach (string program in new[] { "tst_malloc", "tst_free", "tst_custom_fit", "tst_blocks", "tst_invalid_access", "tst_edges" })
        {
            string output = qemu.Run("run " + program, 120);
            Assert.DoesNotContain(program + ": FAIL", output);
            Assert.Matches(program + @": \d+ checks, 0 failed\n", output);
            Assert.Matches(@"process \d+ \(" + program + @"\) exited with status 0\n", output);
        }
        foreach (var row in WrongAccesses)
        {
            string command = (string)row[0];
            string output = qemu.Run("run " + command);
            Assert.Matches(@"process \d+ \(" + command.Split(' ')[0] + @"\) killed: " + (string)row[1] + "\n", output);
            Assert.Single(Regex.Matches(output, @"^process \d+ ", RegexOptions.Multiline));
        }

        Assert.Equal(before, Meminfo.FreeFrames(qemu.Run("meminfo")));
        Assert.Contains("exited with status 0", qemu.Run("run hello"));
    }

    [Fact]
    public void Uheap_and_ps_show_a_running_programs_reservations_and_resident_runs()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel));
        qemu.Run("run hello -q");
        ulong before = Meminfo.FreeFrames(qemu.Run("meminfo"));

        Match started = Regex.Match(qemu.Run("run tst_edges hold &"), @"process (\d+) \(tst_edges\) started\n");
        Assert.True(started.Success);
        string pid = started.Groups[1].Value;
        qemu.WaitFor("tst_edges: holding");
        qemu.Resync();

        string uheap = qemu.Run("uheap " + pid);
        Match figures = Regex.Match(uheap, @"process " + pid + @" \(tst_edges\): heap (\d+) pages reserved, (\d+) resident; (\d+) frames in all, (\d+) page tables, (\d+) faults\n");
        Assert.True(figures.Success, uheap);
        int reserved = Number(figures, 1);
        Assert.InRange(reserved, HoldPages, HoldPages + 8);
        Assert.Matches(@"\n  0x0000000080000000-0x00000000800[0-9a-f]{5}\s+\d+  resident  block area\n", uheap);
        Assert.Contains("\n  0x0000000082001000-0x0000000082004000       3  resident  page area\n", uheap);
        // The kernel knows pages, not allocations: the 64 KiB's untouched pages and the 1 MiB's run together.
        Assert.Contains("\n  0x0000000082004000-0x0000000082110000     268  reserved  page area\n", uheap);
        Assert.Contains("\n  0x0000000082110000-0x0000000082111000       1  resident  page area\n", uheap);
        Assert.Matches(@"\n  0x00000000a0000000-0x00000000a00[0-9a-f]{5}\s+\d+  resident  runtime objects\n", uheap);
        Assert.Matches(@"  resident  heap metadata\n", uheap);
        Assert.Matches(@"  0x00000000a0[0-9a-f]{6}-0x00000000a0400000\s+\d+  reserved  heap metadata\n", uheap);

        string ps = qemu.Run("ps");
        Assert.Matches(@"PID\s+NAME\s+STATE\s+FRAMES\s+TABLES\s+RESERVED\s+WS\s+FAULTS\s+TICKS", ps);
        Match row = Regex.Match(ps, @"^\s+" + pid + @"\s+tst_edges\s+(waiting|ready|running)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+|-)\s+(\d+)\s+\d+$", RegexOptions.Multiline);
        Assert.True(row.Success, ps);
        Assert.Equal(Number(figures, 3), Number(row, 2));
        Assert.Equal(Number(figures, 4), Number(row, 3));
        Assert.Equal(reserved, Number(row, 4));

        Assert.Contains("uheap: no running user process 1", qemu.Run("uheap 1"));
        Assert.Contains("uheap: no running user process 4242", qemu.Run("uheap 4242"));
        Assert.Contains("usage: uheap PID", qemu.Run("uheap"));
        Assert.Contains("usage: uheap PID", qemu.Run("uheap 2x"));
        Assert.Contains($"process {pid} (tst_edges) killed: by request\n", qemu.Run("kill " + pid));
        Assert.Contains($"uheap: no running user process {pid}", qemu.Run("uheap " + pid));
        Assert.Equal(before, Meminfo.FreeFrames(qemu.Run("meminfo")));
    }

    [Fact]
    public void Out_of_memory_kills_only_the_process_that_ran_out_and_every_frame_comes_back()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), SmallMachine);
        qemu.Run("run hello -q");
        ulong idle = Meminfo.FreeFrames(qemu.Run("meminfo"));
        Match started = Regex.Match(qemu.Run("run spin &"), @"process (\d+) \(spin\) started\n");
        Assert.True(started.Success);
        string spin = started.Groups[1].Value;
        WaitUntilSettled(qemu, spin);
        ulong withSpin = Meminfo.FreeFrames(qemu.Run("meminfo"));

        string output = qemu.Run("run tst_oom", 120);
        Assert.DoesNotContain("tst_oom: FAIL", output);
        Assert.Contains("tst_oom: ok   a_child_that_runs_out_of_frames_is_killed\n", output);
        Assert.Contains("tst_oom: ok   every_frame_it_held_comes_back\n", output);
        Assert.Matches(@"process \d+ \(tst_oom\) exited with status 0\n", output);
        Assert.Matches(@"process \d+ \(tst_oom\) killed: out of memory: no frame left for page 0x00000000[0-9a-f]{8} at rip 0x[0-9a-f]{16} \(Program\.Main\+0x[0-9a-f]+\)\n",
            qemu.Run("run tst_oom child", 120));

        // Out of memory in the kernel's copy for a system call ends the process as a fault would, naming the RIP
        // of the system call (the instruction after SYSCALL, in the runtime's stub).
        string copy = qemu.Run("run tst_edges copy-oom", 120);
        Assert.Matches(@"process \d+ \(tst_edges\) killed: out of memory: no frame left for page 0x00000000[0-9a-f]{8} at rip 0x0000000000[4-7][0-9a-f]{5} \([\w.]+\+0x[0-9a-f]+\)\n", copy);
        Assert.DoesNotContain("the process goes on", copy);

        Assert.Matches(new Regex(@"^\s+" + spin + @"\s+spin\s+(ready|running)\s", RegexOptions.Multiline), qemu.Run("ps"));
        Assert.Equal(withSpin, Meminfo.FreeFrames(qemu.Run("meminfo")));
        Assert.Contains($"process {spin} (spin) killed: by request\n", qemu.Run("kill " + spin));
        Assert.Equal(idle, Meminfo.FreeFrames(qemu.Run("meminfo")));
    }

    [Fact]
    public void A_program_holding_every_frame_it_can_get_leaves_the_shell_working_and_the_kernel_heap_as_it_was()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), SmallMachine);
        qemu.Run("run hello -q");
        string idle = qemu.Run("meminfo");

        Match started = Regex.Match(qemu.Run("run tst_edges hog 0 &"), @"process (\d+) \(tst_edges\) started\n");
        Assert.True(started.Success);
        string pid = started.Groups[1].Value;
        qemu.WaitFor("tst_edges: hogging, available frames 0, free frames ", 120);
        qemu.Resync();
        string held = qemu.Run("meminfo");
        Assert.Equal(0UL, Meminfo.AvailableFrames(held));
        Assert.Equal(Meminfo.ReserveFrames(held), Meminfo.FreeFrames(held));

        // Each refused run must give back whatever it took; what it kept would pile up in the kernel's reserve
        // until the kernel's own heap needed a frame and found none.
        for (int i = 0; i < 64; i++)
        {
            Assert.Contains("run: cannot run hello: out of memory\n", qemu.Run("run hello", 10));
        }
        Assert.Matches(new Regex(@"^\s+" + pid + @"\s+tst_edges\s+", RegexOptions.Multiline), qemu.Run("ps"));
        Assert.Contains($"process {pid} (tst_edges): heap ", qemu.Run("uheap " + pid));
        Assert.Contains($"process {pid} (tst_edges) killed: by request\n", qemu.Run("kill " + pid));

        string after = qemu.Run("meminfo");
        Assert.Equal(Meminfo.FreeFrames(idle), Meminfo.FreeFrames(after));
        Assert.Equal(Regex.Match(idle, @"block area: .*").Value, Regex.Match(after, @"block area: .*").Value);
        Assert.Equal(Regex.Match(idle, @"page area: .*").Value, Regex.Match(after, @"page area: .*").Value);
        Assert.Contains("exited with status 0", qemu.Run("run hello"));
    }

    [Fact]
    public void A_program_taking_every_frame_it_can_get_leaves_the_kernel_its_reserve_and_the_kernel_keeps_working()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel), SmallMachine);
        qemu.Run("run hello -q");
        ulong idle = Meminfo.FreeFrames(qemu.Run("meminfo"));

        Match started = Regex.Match(qemu.Run("run tst_edges hog 0 &"), @"process (\d+) \(tst_edges\) started\n");
        Assert.True(started.Success);
        string pid = started.Groups[1].Value;
        qemu.WaitFor("tst_edges: hogging, available frames 0, free frames ", 120);
        ulong freeWhenHogging = ulong.Parse(qemu.WaitFor("\n").Trim(), CultureInfo.InvariantCulture);
        qemu.Resync();
        string held = qemu.Run("meminfo");
        ulong reserve = Meminfo.ReserveFrames(held);
        Assert.Equal(reserve, freeWhenHogging);
        Assert.Equal(reserve, Meminfo.FreeFrames(held));
        // 64 MiB: 2 MiB plus 1/256 of the frames (the figures of FrameReserveTests).
        Assert.InRange(reserve, 560UL, 580UL);

        // The kernel's own work goes on out of its reserve: its suites, spawns (refused cleanly), device buffers.
        foreach (string suite in new[] { "runtime", "arch", "frames", "paging", "kheap", "pebble" })
        {
            string output = qemu.Run("selftest " + suite, 120);
            Assert.DoesNotContain("KERNEL PANIC", output);
            Assert.Matches(@"\nselftest: \d+ passed, 0 failed\n", output);
        }
        for (int i = 0; i < 8; i++)
        {
            string run = qemu.Run("run hello", 10);
            Assert.Matches(@"run: cannot run hello: out of memory\n|process \d+ \(hello\) exited with status 0\n", run);
        }
        string dma = qemu.Run("dma alloc 4096 low16m,physical 4096 65536");
        Match buffer = Regex.Match(dma, @"virtual 0x([0-9a-f]{16}) physical 0x([0-9a-f]{16})");
        Assert.True(buffer.Success, dma);
        Assert.Contains("ok", qemu.Run("dma free 0x" + buffer.Groups[1].Value));
        Assert.Matches(new Regex(@"^\s+" + pid + @"\s+tst_edges\s+", RegexOptions.Multiline), qemu.Run("ps"));

        Assert.Equal(0UL, Meminfo.AvailableFrames(qemu.Run("meminfo")));

        Assert.Contains($"process {pid} (tst_edges) killed: by request\n", qemu.Run("kill " + pid));
        Assert.Contains("exited with status 0", qemu.Run("run hello"));
        Assert.Equal(idle, Meminfo.FreeFrames(qemu.Run("meminfo")));
        Assert.DoesNotContain("KERNEL PANIC", qemu.Output);
    }

    /// <summary>Waits until a background program has run and stopped taking pages (its start-up faults are over).</summary>
    private static void WaitUntilSettled(QemuSession qemu, string pid)
    {
        var row = new Regex(@"^\s+" + pid + @"\s+\S+\s+\S+\s+(\d+)\s+\d+\s+\d+\s+(?:\d+|-)\s+(\d+)\s+(\d+)$", RegexOptions.Multiline);
        string last = null;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            Match m = row.Match(qemu.Run("ps"));
            Assert.True(m.Success);
            string figures = m.Groups[1].Value + "/" + m.Groups[2].Value;
            if (Number(m, 3) > 0 && figures == last)
            {
                return;
            }
            last = figures;
            System.Threading.Thread.Sleep(100);
        }
        throw new TimeoutException($"process {pid} did not settle");
    }

    private static int Number(Match match, int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
}
