using Kernel.Abi;
using Kernel.Arch;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Syscalls;

/// <summary>sched_yield and nanosleep.</summary>
internal static unsafe class TimeCalls
{
    private const long NanosecondsPerSecond = 1_000_000_000;
    private const long NanosecondsPerTick = NanosecondsPerSecond / Pit.TickHz;

    /// <summary>
    /// clock_gettime(clock, time): the time since boot from the PIT, in whole milliseconds, for CLOCK_REALTIME
    /// (0, there is no calendar) and CLOCK_MONOTONIC (1); -EINVAL for other clocks, -EFAULT for a bad pointer.
    /// </summary>
    public static long GetTime(long clock, ulong destination)
    {
        if (clock != 0 && clock != 1)
        {
            return -Errno.EINVAL;
        }
        ulong ticks = Pit.Ticks;
        TimeSpec time;
        time.Seconds = (long)(ticks / Pit.TickHz);
        time.Nanoseconds = (long)(ticks % Pit.TickHz) * NanosecondsPerTick;
        return UserMemory.CopyTo(destination, &time, (ulong)sizeof(TimeSpec));
    }

    public static long Yield()
    {
        Scheduler.Yield();
        return 0;
    }

    /// <summary>
    /// Sleeps at least the requested time (rounded up to whole ticks of 1 ms). -EINVAL for a negative time or
    /// nanoseconds outside 0..999,999,999, -EFAULT for bad pointers, -EINTR (with the time left written to
    /// <paramref name="remaining"/> when given) when the sleeper is killed meanwhile.
    /// </summary>
    public static long Sleep(ulong request, ulong remaining)
    {
        TimeSpec time;
        long status = UserMemory.CopyFrom(&time, request, (ulong)sizeof(TimeSpec));
        if (status < 0)
        {
            return status;
        }
        if (time.Seconds < 0 || time.Nanoseconds < 0 || time.Nanoseconds >= NanosecondsPerSecond)
        {
            return -Errno.EINVAL;
        }
        // Whole ticks, rounded up, plus the partial tick under way; saturate rather than overflow.
        ulong ticks = (ulong)time.Seconds > ulong.MaxValue / Pit.TickHz / 2
            ? ulong.MaxValue / 2
            : (ulong)time.Seconds * Pit.TickHz + (ulong)((time.Nanoseconds + NanosecondsPerTick - 1) / NanosecondsPerTick);
        ulong deadline = Pit.Ticks + ticks + 1;
        Process self = ProcessManager.Current;
        while (!Scheduler.SleepUntil(deadline))
        {
            if (self.KillRequested)
            {
                if (remaining != 0)
                {
                    ulong left = deadline - Pit.Ticks;
                    TimeSpec rest;
                    rest.Seconds = (long)(left / Pit.TickHz);
                    rest.Nanoseconds = (long)(left % Pit.TickHz) * NanosecondsPerTick;
                    UserMemory.CopyTo(remaining, &rest, (ulong)sizeof(TimeSpec));
                }
                return -Errno.EINTR;
            }
        }
        return 0;
    }
}
