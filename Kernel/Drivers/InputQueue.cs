using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// Characters typed on the PS/2 keyboard or received on COM1, in arrival order. Interrupt handlers
/// push; the shell pops with interrupts disabled around the index update. When full, the serial port
/// holds its input back (see <see cref="SerialPort.OnInterrupt"/>) until half the queue is read; a key
/// pressed then is dropped (and counted) rather than overwriting what the reader has not seen. Room for a
/// pasted script of a few KiB: the shell echoes it and runs its commands while the rest arrives.
/// </summary>
internal static unsafe class InputQueue
{
    private const int Capacity = 4096;
    private static char* s_buffer;
    private static int s_head;
    private static int s_tail;

    /// <summary>Ctrl-C: not queued, but raised as a flag the reader takes (it interrupts, it is not input).</summary>
    public const char Interrupt = '\u0003';

    private static ulong s_dropped;
    private static bool s_interruptPending;
    private static unsafe delegate*<void> s_readerWakeup;

    public static ulong Dropped => s_dropped;

    /// <summary>Lets the reader (the shell, a layer above) be woken by every arrival; runs in the interrupt handler.</summary>
    public static unsafe void SetReaderWakeup(delegate*<void> wakeup) => s_readerWakeup = wakeup;

    /// <summary>True once per Ctrl-C typed since the last call.</summary>
    public static bool TakeInterrupt()
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        bool pending = s_interruptPending;
        s_interruptPending = false;
        Cpu.RestoreInterrupts(flags);
        return pending;
    }

    public static bool IsFull => (s_tail + 1) % Capacity == s_head;

    private static int Count => (s_tail - s_head + Capacity) % Capacity;

    /// <summary>
    /// Makes the ring. Called once at boot before the keyboard and serial handlers are registered, so
    /// <see cref="Push"/>, which runs in interrupt handlers, never allocates.
    /// </summary>
    public static void Initialize()
    {
        s_buffer = (char*)Memory.ObjectAllocator.AllocateZeroed(Capacity * sizeof(char));
    }

    public static unsafe void Push(char c)
    {
        if (c == Interrupt)
        {
            s_interruptPending = true;
        }
        else
        {
            int next = (s_tail + 1) % Capacity;
            if (next == s_head)
            {
                s_dropped++;
                return;
            }
            s_buffer[s_tail] = c;
            s_tail = next;
        }
        if (s_readerWakeup != null)
        {
            s_readerWakeup();
        }
    }

    public static bool TryPop(out char c)
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        bool available = s_head != s_tail;
        c = available ? s_buffer[s_head] : '\0';
        if (available)
        {
            s_head = (s_head + 1) % Capacity;
            if (SerialPort.IsReceivePaused && Count <= Capacity / 2)
            {
                SerialPort.ResumeReceive();
            }
        }
        Cpu.RestoreInterrupts(flags);
        return available;
    }
}
