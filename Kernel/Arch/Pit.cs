namespace Kernel.Arch;

/// <summary>
/// The 8253/8254 programmable interval timer, channel 0 in rate-generator mode at 1000 Hz on IRQ 0:
/// the kernel's clock for uptime and timeouts. Also calibrates the TSC against it once at boot.
/// </summary>
internal static class Pit
{
    public const uint InputFrequency = 1193182;
    public const uint TickHz = 1000;
    private const ushort Channel0 = 0x40;
    private const ushort Command = 0x43;
    private const byte Channel0Mode2LowHigh = 0x34;
    private const byte LatchChannel0 = 0x00;

    private static ulong s_ticks;
    private static ulong s_tscPerMillisecond;

    public static ulong Ticks => s_ticks;

    public static ulong UptimeMilliseconds => s_ticks * 1000 / TickHz;

    /// <summary>TSC cycles per millisecond, measured against the PIT (0 before calibration).</summary>
    public static ulong TscPerMillisecond => s_tscPerMillisecond;

    public static void Initialize()
    {
        ushort divisor = (ushort)(InputFrequency / TickHz);
        Cpu.OutByte(Command, Channel0Mode2LowHigh);
        Cpu.OutByte(Channel0, (byte)divisor);
        Cpu.OutByte(Channel0, (byte)(divisor >> 8));
    }

    private static unsafe delegate*<void> s_tickHook;

    /// <summary>Lets the scheduler, a layer above, count time slices and wake sleepers on every tick.</summary>
    public static unsafe void SetTickHook(delegate*<void> hook) => s_tickHook = hook;

    public static unsafe void OnTick()
    {
        s_ticks++;
        if (s_tickHook != null)
        {
            s_tickHook();
        }
    }

    /// <summary>Counts TSC cycles over 10 timer ticks; call with interrupts enabled.</summary>
    public static void CalibrateTsc()
    {
        ulong start = s_ticks;
        while (s_ticks == start)
        {
            Cpu.WaitForInterrupt();
        }
        ulong tscStart = Cpu.ReadTsc();
        ulong target = s_ticks + 10;
        while (s_ticks < target)
        {
            Cpu.WaitForInterrupt();
        }
        s_tscPerMillisecond = (Cpu.ReadTsc() - tscStart) * TickHz / 10 / 1000;
    }

    /// <summary>
    /// The tick count by which at least <paramref name="milliseconds"/> will have passed: the extra tick
    /// covers the partial tick already under way.
    /// </summary>
    public static ulong Deadline(ulong milliseconds) => s_ticks + milliseconds * TickHz / 1000 + 1;

    /// <summary>Waits at least <paramref name="milliseconds"/>, sleeping between ticks.</summary>
    public static void Sleep(ulong milliseconds)
    {
        ulong target = Deadline(milliseconds);
        while (s_ticks < target)
        {
            Cpu.WaitForInterrupt();
        }
    }
}
