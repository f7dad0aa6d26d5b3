using Kernel.Arch;
using Kernel.Drivers;

namespace Kernel.SelfTest;

/// <summary>
/// The CPU and devices under the kernel: breakpoints return, the timer advances, keyboard scan codes
/// and the UART reach the input path, page 0 faults, and backtraces can name functions.
/// </summary>
internal sealed unsafe class ArchSuite : SelfTestSuite
{
    private const ulong MsrEfer = 0xC0000080;
    private const ulong EferNoExecuteEnable = 1 << 11;
    private const ulong Cr0WriteProtect = 1 << 16;

    public override string Name => "arch";

    /// <summary>The input queue's buffer, made once on the first character: the keyboard test pushes some.</summary>
    public override void Run(TestContext test)
    {
        ulong before = Interrupts.Breakpoints;
        Cpu.Breakpoint();
        Cpu.Breakpoint();
        test.CheckEqual(before + 2, Interrupts.Breakpoints, "breakpoint_returns_to_the_caller");

        ulong ticks = Pit.Ticks;
        Pit.Sleep(30);
        test.Check(Pit.Ticks >= ticks + 30, "timer_ticks_advance", "fewer than 30 ticks in 30 ms");
        test.Check(Pit.TscPerMillisecond > 0, "tsc_is_calibrated_against_the_timer", "TSC calibration gave 0");

        KeyboardInputPath(test);
        SerialLoopback(test);

        test.Check(!FaultProbe.TryRead(0, out _), "page_zero_is_not_mapped", "reading address 0 did not fault");
        test.Check(FaultProbe.LastVector == ExceptionVector.PageFault && (FaultProbe.LastErrorCode & 1) == 0, "null_read_faults_as_not_present", "wrong vector or error code");
        test.Check(FaultProbe.TryRead((ulong)&ticks, out _), "fault_probe_reads_mapped_memory", "probe of a stack variable faulted");

        bool nxOn = (Cpu.ReadMsr((uint)MsrEfer) & EferNoExecuteEnable) != 0;
        test.Check(nxOn == CpuFeatures.HasNoExecute, "efer_nxe_matches_cpuid", "EFER.NXE does not match the NX feature bit");
        test.Check((Cpu.ReadCr0() & Cr0WriteProtect) != 0, "cr0_write_protect_is_on", "CR0.WP is clear: the kernel could write read-only pages");

        delegate*<TestContext, void> self = &SymbolProbe;
        bool named = Symbols.TryLookup((ulong)self, out byte* name, out ulong offset) && offset == 0 && Contains(name, "SymbolProbe");
        test.Check(named, "symbols_name_kernel_functions", "function address not found in the symbol table");
    }

    private static void SymbolProbe(TestContext test)
    {
    }

    private static void KeyboardInputPath(TestContext test)
    {
        DrainInput();
        // Scan code set 1: 'h' is 0x23, 'i' 0x17, left shift 0x2A/0xAA, Enter 0x1C; 0x80 marks a release.
        Keyboard.HandleScanCode(0x23);
        Keyboard.HandleScanCode(0xA3);
        Keyboard.HandleScanCode(0x2A);
        Keyboard.HandleScanCode(0x17);
        Keyboard.HandleScanCode(0xAA);
        Keyboard.HandleScanCode(0x1C);
        bool ok = InputQueue.TryPop(out char a) && a == 'h'
            && InputQueue.TryPop(out char b) && b == 'I'
            && InputQueue.TryPop(out char c) && c == '\n'
            && !InputQueue.TryPop(out _);
        test.Check(ok, "keyboard_scan_codes_reach_the_input_queue", "scan codes did not become 'h', 'I', newline");
    }

    private static void SerialLoopback(TestContext test)
    {
        // The driver's view must match the hardware: a UART it missed would leave COM1 silent, one it
        // imagined would have every write spin out its timeout.
        test.Check(SerialPort.Probe() == SerialPort.IsPresent, "serial_presence_matches_the_hardware",
            SerialPort.IsPresent ? "the driver uses a UART that does not answer" : "a UART answers but the driver does not use it");
        if (!SerialPort.IsPresent)
        {
            return;
        }
        ulong flags = Cpu.SaveAndDisableInterrupts();
        bool ok = SerialPort.LoopbackTest(0xA5) && SerialPort.LoopbackTest(0x3C);
        Cpu.RestoreInterrupts(flags);
        test.Check(ok, "serial_uart_loopback", "bytes written in loopback mode did not come back");
    }

    private static void DrainInput()
    {
        while (InputQueue.TryPop(out _))
        {
        }
    }

    private static bool Contains(byte* text, string word)
    {
        for (int start = 0; start < 200 && text[start] != '\n' && text[start] != 0; start++)
        {
            int i = 0;
            while (i < word.Length && text[start + i] == word[i])
            {
                i++;
            }
            if (i == word.Length)
            {
                return true;
            }
        }
        return false;
    }
}
