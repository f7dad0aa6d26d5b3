using System.Runtime.InteropServices;
using Internal.Runtime;
using Kernel.Arch;
using Kernel.Boot;
using Kernel.Drivers;
using Kernel.SelfTest;
using Kernel.Shell;
using Kernel.Shell.Commands;

namespace Kernel;

/// <summary>
/// Where boot.asm hands over to C#: bring up the consoles and the runtime, read what GRUB passed,
/// take over the CPU's tables and interrupts, then run the self-tests (GRUB entry "selftest") or the
/// shell.
/// </summary>
internal static unsafe class KernelMain
{
    [UnmanagedCallersOnly(EntryPoint = "kernel_main")]
    private static void Entry(uint magic, uint bootInformation)
    {
        SerialPort.Initialize();
        StartupCodeHelpers.InitializeModules();
        // The boot information says which screen there is (a framebuffer under UEFI or with gfxpayload, else
        // VGA text mode), so it is read before anything is shown; its problems are named once the screen is up.
        bool multiboot = Multiboot.Parse(magic, bootInformation);
        if (multiboot && Multiboot.HasFramebuffer)
        {
            TextScreen.UseFramebuffer(Multiboot.Framebuffer);
        }
        TextScreen.Clear();
        Console.Write("C# kernel", ConsoleColor.LightCyan);
        Console.WriteLine(" (x86-64, NativeAOT)");
        if (!multiboot)
        {
            Panic.Fail("not started by a multiboot2 boot loader (bad magic or no boot information)");
        }
        Multiboot.ReportProblems();
        if (TextScreen.IsFramebuffer)
        {
            FramebufferText.Describe();
        }
        Symbols.Load();
        CpuFeatures.Detect();
        Interrupts.Initialize(Memory.KernelStacks.IstStackTop());
        InputDevices.Initialize();
        Cpu.DisableInterrupts();
        Memory.MemoryManager.Initialize();
        if (TextScreen.IsFramebuffer)
        {
            TextScreen.UseFramebufferMapping(Memory.MemoryManager.MapFramebuffer(FramebufferText.PhysicalAddress, FramebufferText.Size));
        }
        Cpu.EnableInterrupts();
        Pit.CalibrateTsc();
        Tasks.ProcessManager.Initialize(Memory.KernelStacks.BootStackTop(), Memory.MemoryManager.KernelRoot);
        Tasks.ThreadBlockingHooks.Install();
        Swap.PageFile.Probe();
        Syscalls.SyscallDispatcher.Initialize();

        SelfTestRunner.Initialize(new SelfTestSuite[]
        {
            new RuntimeSuite(),
            new ArchSuite(),
            new FramesSuite(),
            new PagingSuite(),
            new KernelHeapSuite(),
            new PebbleSuite(),
            new UserSuite(),
            new UserHeapSuite(),
            new PageFileSuite(),
        });
        Shell.Shell.Initialize(new ShellCommand[]
        {
            new HelpCommand(),
            new MemmapCommand(),
            new MeminfoCommand(),
            new KheapCommand(),
            new VmCommand(),
            new FramesCommand(),
            new MembenchCommand(),
            new RunCommand(),
            new PsCommand(),
            new KillCommand(),
            new UheapCommand(),
            new VmstatCommand(),
            new DmaCommand(),
            new CmdlineCommand(),
            new CpuinfoCommand(),
            new UptimeCommand(),
            new EchoCommand(),
            new PciCommand(),
            new FdCommand(),
            new IdeCommand(),
            new PagefileCommand(),
            new SelftestCommand(),
            new CrashCommand(),
            new ShutdownCommand(),
            new RebootCommand(),
        });

        if (Multiboot.HasOption("selftest"))
        {
            int failed = SelfTestRunner.Run(null);
            if (failed == 0)
            {
                QemuExit.Pass();
            }
            else
            {
                QemuExit.Fail();
            }
            if (Multiboot.HasOption("poweroff"))
            {
                // Emulators without isa-debug-exit (Bochs) end on ACPI power-off; the result is the
                // "selftest:" line on COM1.
                Power.Shutdown();
            }
            Console.WriteLine("selftest: not running under QEMU's debug-exit device; continuing to the shell");
        }
        Shell.Shell.Run();
    }
}
