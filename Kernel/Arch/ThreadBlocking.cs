namespace Kernel.Arch;

/// <summary>
/// What the scheduler lends the layers below it, so that a driver can put the calling thread to sleep
/// until its device interrupts and other threads run meanwhile. The task layer fills the hooks once the
/// scheduler runs (calls go down, never up: the drivers do not know the scheduler by name); threads are
/// opaque objects here. Before that, during early boot, waits halt the CPU instead.
/// </summary>
internal static unsafe class ThreadBlocking
{
    private static delegate*<object> s_current;
    private static delegate*<void> s_block;
    private static delegate*<ulong, void> s_sleepUntil;
    private static delegate*<object, void> s_wake;

    /// <summary>Whether threads can block: the scheduler has filled the hooks.</summary>
    public static bool IsAvailable => s_current != null;

    /// <summary>
    /// Called once by the task layer. <paramref name="block"/> waits until the current thread is woken (at
    /// once if a wake came first); <paramref name="sleepUntil"/> waits until that or the given PIT tick;
    /// <paramref name="wake"/>, safe in interrupt handlers, wakes a thread or makes its next block return
    /// at once. Wake-ups may be spurious: a waiter checks its condition in a loop.
    /// </summary>
    public static void SetHooks(delegate*<object> current, delegate*<void> block, delegate*<ulong, void> sleepUntil, delegate*<object, void> wake)
    {
        s_block = block;
        s_sleepUntil = sleepUntil;
        s_wake = wake;
        s_current = current;
    }

    /// <summary>The thread on the CPU (only when <see cref="IsAvailable"/>).</summary>
    public static object Current => s_current();

    public static void Block() => s_block();

    public static void SleepUntil(ulong tick) => s_sleepUntil(tick);

    public static void Wake(object thread) => s_wake(thread);
}
