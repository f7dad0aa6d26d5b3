using Kernel.Arch;

namespace Kernel.Tasks;

/// <summary>Lends the scheduler's block and wake to the layers below (drivers waiting for their devices).</summary>
internal static unsafe class ThreadBlockingHooks
{
    /// <summary>Called once the scheduler runs; from then on device waits sleep instead of halting the CPU.</summary>
    public static void Install() => ThreadBlocking.SetHooks(&Current, &Scheduler.Block, &SleepUntil, &Wake);

    private static object Current() => Scheduler.Current;

    private static void SleepUntil(ulong tick) => Scheduler.SleepUntil(tick);

    private static void Wake(object thread) => Scheduler.Wake((Thread)thread);
}
