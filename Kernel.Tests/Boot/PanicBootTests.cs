using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// Each kind of kernel page fault, provoked from the shell with <c>crash</c>, is named on the panic screen
/// by its cause, and the kernel leaves QEMU with the failure code (kernel option panic=exit).
/// </summary>
[Collection(BootCollection.Name)]
public sealed class PanicBootTests
{
    private static string CrashAndExpect(QemuSession qemu, string command, string reason)
    {
        qemu.Type(command + "\r");
        int status = qemu.WaitForExit();
        string output = qemu.Output;
        Assert.Contains("KERNEL PANIC: " + reason, output);
        Assert.Contains("backtrace:", output);
        Assert.DoesNotContain("panic while panicking", output);
        Assert.True(status == QemuSession.Failure, $"QEMU exit status {status}, expected {QemuSession.Failure}. Output:\n{output}");
        return output;
    }

    [Fact]
    public void Write_to_rodata_is_a_write_to_a_read_only_page()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel, "panic=exit"));
        Match rodata = Regex.Match(qemu.Run("meminfo"), @"^  rodata +0x([0-9a-f]{16})-0x[0-9a-f]{16} r--$", RegexOptions.Multiline);
        Assert.True(rodata.Success, "meminfo shows no rodata line");

        string output = CrashAndExpect(qemu, "crash write 0x" + rodata.Groups[1].Value, "page fault: write to a read-only page");
        Assert.Contains("[protection violation, write, supervisor]", output);
        Assert.Contains("CR2 0x" + rodata.Groups[1].Value, output);
    }

    [Fact]
    public void Call_into_the_direct_map_is_an_execute_of_a_no_execute_page()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel, "panic=exit"));
        string output = CrashAndExpect(qemu, "crash exec 0xffff800000200000", "page fault: execute of a no-execute page");
        Assert.Contains("instruction fetch]", output);
        Assert.Contains("#0 0xffff800000200000 (not kernel code)", output);
    }

    [Fact]
    public void Read_at_the_kernel_heap_break_is_an_unmapped_kernel_heap_address()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel, "panic=exit"));
        // The page at the break is the first above the page area's highest allocation: never backed, or
        // unmapped again by the kfree that lowered the break.
        Match heapBreak = Regex.Match(qemu.Run("meminfo"), @"break: +0x([0-9a-f]{16}),");
        Assert.True(heapBreak.Success, "meminfo shows no heap break");

        string output = CrashAndExpect(qemu, "crash pf 0x" + heapBreak.Groups[1].Value, "page fault: unmapped kernel heap address");
        Assert.Contains("[not present, read, supervisor]", output);
    }

    [Fact]
    public void Unbounded_recursion_hits_the_guard_page_and_is_reported_as_a_kernel_stack_overflow()
    {
        using QemuSession qemu = QemuSession.StartShell(KernelImage.Iso(MenuEntry.Kernel, "panic=exit"));
        string output = CrashAndExpect(qemu, "crash stack", "kernel stack overflow");
        // The #PF on the guard page cannot push its frame on the exhausted stack: the CPU raises #DF, which
        // runs on its own IST stack and still prints the whole report.
        Assert.Contains("#DF double fault", output);
        Assert.Matches(@"#1 0x[0-9a-f]{16} kernel_Kernel_Shell_Commands_CrashCommand__Recurse\+0x", output);
        Assert.Contains("panic=exit: leaving QEMU with the failure code", output);
    }
}
