using Kernel.Drivers;

namespace Kernel.Arch;

/// <summary>Powering off and resetting the machine, trying the cleanest method first.</summary>
internal static unsafe class Power
{
    private const ushort KeyboardControllerCommand = 0x64;
    private const byte PulseResetLine = 0xFE;
    private const byte InputBufferFull = 0x02; // status bit 1: the controller has not taken the last byte

    public static void Shutdown()
    {
        Console.WriteLine("shutting down");
        // Under QEMU with isa-debug-exit this ends the emulator with the success code.
        QemuExit.Pass();
        if (!Acpi.TryShutdown())
        {
            Console.WriteLine("shutdown: no ACPI S5 support found; resetting instead");
        }
        Reboot();
    }

    public static void Reboot()
    {
        Console.WriteLine("rebooting");
        Cpu.DisableInterrupts();
        // The 8042 keyboard controller can pulse the CPU's reset line.
        for (int i = 0; i < 1000 && (Cpu.InByte(KeyboardControllerCommand) & InputBufferFull) != 0; i++)
        {
            Cpu.IoDelay();
        }
        Cpu.OutByte(KeyboardControllerCommand, PulseResetLine);
        for (int i = 0; i < 100000; i++)
        {
            Cpu.IoDelay();
        }
        // Still here: a fault with no usable IDT becomes a triple fault, which resets the CPU.
        ulong emptyIdt = 0;
        Cpu.LoadIdt(&emptyIdt);
        Cpu.Breakpoint();
        Cpu.HaltForever();
    }
}
