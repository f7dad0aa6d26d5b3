using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// The 16550 UART on COM1 (I/O port 0x3F8): 115200 baud, 8N1, FIFOs on. Output polls the transmit
/// holding register; input is interrupt-driven (IRQ 4) into the input queue the shell reads. When the queue
/// is full the receiver pauses instead of dropping bytes: the rest stays in the UART's FIFO, RTS drops so a
/// sender with hardware flow control waits, and the receive interrupt is off until the shell has read half
/// the queue.
/// </summary>
internal static class SerialPort
{
    private const ushort Com1 = 0x3F8;
    private const ushort Data = Com1 + 0;
    private const ushort InterruptEnable = Com1 + 1;
    private const ushort FifoControl = Com1 + 2;
    private const ushort LineControl = Com1 + 3;
    private const ushort ModemControl = Com1 + 4;
    private const ushort LineStatus = Com1 + 5;
    private const ushort Scratch = Com1 + 7;
    private const byte LineStatusDataReady = 0x01;
    private const byte LineStatusTransmitEmpty = 0x20;
    private const byte LineStatusTransmitterIdle = 0x40;
    private const byte ModemControlLoopback = 0x10;
    private const byte ModemControlRequestToSend = 0x02;
    private const byte InterruptEnableReceive = 0x01;
    private const byte DivisorLatch = 0x80;
    private const byte ScratchPattern = 0x5A;

    // Polls of the line status before giving up: each port read takes about a microsecond on real
    // hardware, and a byte takes 87 us at 115200 baud, so these allow for a full 16-byte FIFO and more.
    private const int TransmitSpins = 100000;
    private const int ReceiveSpins = 100000;

    private static bool s_present;
    private static bool s_receivePaused;

    public static bool IsPresent => s_present;

    /// <summary>Whether the receiver waits for room in the input queue (see <see cref="ResumeReceive"/>).</summary>
    public static bool IsReceivePaused => s_receivePaused;

    /// <summary>Whether a UART answers at COM1: it keeps what is written to its scratch register, absent hardware reads back 0xFF.</summary>
    public static bool Probe()
    {
        Cpu.OutByte(Scratch, ScratchPattern);
        return Cpu.InByte(Scratch) == ScratchPattern;
    }

    public static void Initialize()
    {
        if (!Probe())
        {
            return;
        }
        Cpu.OutByte(InterruptEnable, 0x00);
        Cpu.OutByte(LineControl, DivisorLatch);
        Cpu.OutByte(Data, 1);               // divisor 1: 115200 baud
        Cpu.OutByte(InterruptEnable, 0x00);
        Cpu.OutByte(LineControl, 0x03);     // 8 data bits, no parity, one stop bit
        Cpu.OutByte(FifoControl, 0xC7);     // enable and clear FIFOs, 14-byte threshold
        Cpu.OutByte(ModemControl, 0x0B);    // DTR, RTS, OUT2 (OUT2 gates the IRQ line)
        s_present = true;
    }

    /// <summary>Asks the UART to raise IRQ 4 when a byte arrives.</summary>
    public static void EnableReceiveInterrupt()
    {
        if (s_present)
        {
            Cpu.OutByte(InterruptEnable, InterruptEnableReceive);
        }
    }

    /// <summary>
    /// IRQ 4: moves received bytes into the input queue while it has room. A byte that finds it full stays
    /// in the FIFO and the receiver pauses; with the interrupt off the UART lowers its request, so resuming
    /// raises a fresh edge at the PIC for what waited.
    /// </summary>
    public static void OnInterrupt()
    {
        while (!InputQueue.IsFull && TryRead(out byte value))
        {
            InputQueue.Push((char)value);
        }
        if (InputQueue.IsFull && (Cpu.InByte(LineStatus) & LineStatusDataReady) != 0)
        {
            s_receivePaused = true;
            Cpu.OutByte(InterruptEnable, 0x00);
            Cpu.OutByte(ModemControl, (byte)(Cpu.InByte(ModemControl) & ~ModemControlRequestToSend));
        }
    }

    /// <summary>Ends a pause of the receiver; the input queue calls it, interrupts off, once it has room again.</summary>
    public static void ResumeReceive()
    {
        if (!s_receivePaused)
        {
            return;
        }
        s_receivePaused = false;
        Cpu.OutByte(ModemControl, (byte)(Cpu.InByte(ModemControl) | ModemControlRequestToSend));
        Cpu.OutByte(InterruptEnable, InterruptEnableReceive);
    }

    public static void Write(byte value)
    {
        if (!s_present)
        {
            return;
        }
        int spins = TransmitSpins;
        while ((Cpu.InByte(LineStatus) & LineStatusTransmitEmpty) == 0 && --spins > 0)
        {
            Cpu.Pause();
        }
        Cpu.OutByte(Data, value);
    }

    /// <summary>
    /// Sends a byte through the UART's internal loopback and checks it comes back; call with interrupts
    /// disabled so the receive handler does not take the byte. The modem control register is restored,
    /// bytes that had arrived before are handed to the input queue, and nothing of the test is left in
    /// either direction.
    /// </summary>
    public static bool LoopbackTest(byte value)
    {
        // Whatever is still in the transmit FIFO or shift register when loopback goes on is looped back
        // too (and lost to the line), arriving before the test byte: let the transmitter drain first.
        if (!WaitForTransmitterIdle())
        {
            return false;
        }
        while (TryRead(out byte pending))
        {
            InputQueue.Push((char)pending);
        }
        byte saved = Cpu.InByte(ModemControl);
        Cpu.OutByte(ModemControl, (byte)(saved | ModemControlLoopback));
        Cpu.OutByte(Data, value);
        bool received = false;
        byte echoed = 0;
        for (int i = 0; i < ReceiveSpins && !received; i++)
        {
            received = TryRead(out echoed);
        }
        // Leave loopback only once the byte has fully left the transmitter, so none of it reaches the line.
        bool idle = WaitForTransmitterIdle();
        while (TryRead(out _))
        {
        }
        Cpu.OutByte(ModemControl, saved);
        return received && echoed == value && idle;
    }

    /// <summary>Waits until the transmit FIFO and the shift register are both empty (LSR.TEMT).</summary>
    private static bool WaitForTransmitterIdle()
    {
        for (int i = 0; i < TransmitSpins; i++)
        {
            if ((Cpu.InByte(LineStatus) & LineStatusTransmitterIdle) != 0)
            {
                return true;
            }
            Cpu.Pause();
        }
        return false;
    }

    public static bool TryRead(out byte value)
    {
        if (s_present && (Cpu.InByte(LineStatus) & LineStatusDataReady) != 0)
        {
            value = Cpu.InByte(Data);
            return true;
        }
        value = 0;
        return false;
    }
}
