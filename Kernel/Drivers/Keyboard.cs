using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// The PS/2 keyboard behind the 8042 controller, in scan code set 1 (translated by the controller, as
/// the BIOS leaves it). Make codes become characters through a US layout; shift and caps lock apply.
/// </summary>
internal static unsafe class Keyboard
{
    private const ushort DataPort = 0x60;
    private const ushort StatusPort = 0x64;
    private const byte OutputFull = 0x01;
    private const byte ReleaseBit = 0x80;
    private const byte LeftControl = 0x1D;
    private const byte LeftShift = 0x2A;
    private const byte RightShift = 0x36;
    private const byte CapsLock = 0x3A;
    private const byte Extended = 0xE0;

    // Scan code set 1 make codes 0x00-0x39 -> characters, unshifted and shifted.
    private const string Normal = "\0\u001b1234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
    private const string Shifted = "\0\u001b!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

    private static bool s_shift;
    private static bool s_control;
    private static bool s_capsLock;
    private static bool s_extended;

    public static void Initialize()
    {
        // Drain anything the firmware left in the controller's output buffer.
        for (int i = 0; i < 16 && (Cpu.InByte(StatusPort) & OutputFull) != 0; i++)
        {
            Cpu.InByte(DataPort);
        }
    }

    public static void OnInterrupt()
    {
        byte code = Cpu.InByte(DataPort);
        HandleScanCode(code);
    }

    /// <summary>Turns one scan code into input; also the entry point the input self-test drives.</summary>
    public static void HandleScanCode(byte code)
    {
        if (code == Extended)
        {
            s_extended = true;
            return;
        }
        bool extended = s_extended;
        s_extended = false;
        bool released = (code & ReleaseBit) != 0;
        byte key = (byte)(code & ~ReleaseBit);
        if (key == LeftShift || key == RightShift)
        {
            s_shift = !released;
            return;
        }
        if (key == LeftControl)
        {
            // Right Ctrl is the same code behind E0.
            s_control = !released;
            return;
        }
        if (released || extended)
        {
            return;
        }
        if (key == CapsLock)
        {
            s_capsLock = !s_capsLock;
            return;
        }
        if (key >= Normal.Length)
        {
            return;
        }
        char c = s_shift ? Shifted[key] : Normal[key];
        if (s_capsLock && c >= 'a' && c <= 'z')
        {
            c = (char)(c - 'a' + 'A');
        }
        else if (s_capsLock && c >= 'A' && c <= 'Z')
        {
            c = (char)(c - 'A' + 'a');
        }
        if (s_control && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        {
            // Ctrl+letter is the letter's control code, as a terminal sends it (Ctrl-C = 0x03).
            c = (char)(c & 0x1F);
        }
        if (c != '\0')
        {
            InputQueue.Push(c);
        }
    }
}
