using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// The input side of the console: the PS/2 keyboard and COM1's receiver feed the input queue from their
/// interrupts. The drivers register their own lines with the arch layer, which knows no device.
/// </summary>
internal static unsafe class InputDevices
{
    private const int KeyboardIrq = 1;
    private const int SerialIrq = 4;

    /// <summary>After <see cref="Interrupts.Initialize"/>: the queue, then each device and its line.</summary>
    public static void Initialize()
    {
        InputQueue.Initialize();
        Keyboard.Initialize();
        Interrupts.Register(KeyboardIrq, &Keyboard.OnInterrupt);
        Interrupts.Register(SerialIrq, &SerialPort.OnInterrupt);
        SerialPort.EnableReceiveInterrupt();
    }
}
