using System;
using System.Collections.Concurrent;
using System.Threading;

namespace Kernel.Tests.Mem.Concurrency;

/// <summary>
/// Runs one body on several host threads released together, as tasks on several CPUs (or preempted tasks
/// on one) reach the memory manager at once. A failure on any thread (an assertion, an exception of the
/// emulated machine) fails the run; so does a thread that has not finished by the deadline, since a
/// corrupted list can loop forever.
/// </summary>
internal static class Workers
{
    /// <summary>More threads than the build machine's two cores, so that threads are also preempted mid-operation.</summary>
    public const int Count = 4;

    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="body"/>(worker index, that worker's random source) on <paramref name="count"/> threads.</summary>
    public static void Run(Action<int, Random> body, int count = Count)
    {
        var failures = new ConcurrentQueue<Exception>();
        using var start = new Barrier(count);
        var threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int worker = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    body(worker, new Random(1000 + worker));
                }
                catch (Exception failure)
                {
                    failures.Enqueue(failure);
                }
            })
            {
                IsBackground = true,
                Name = $"worker {worker}",
            };
            threads[i].Start();
        }
        DateTime deadline = DateTime.UtcNow + s_deadline;
        foreach (Thread thread in threads)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (!thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                throw new TimeoutException($"{thread.Name} did not finish within {s_deadline.TotalSeconds} s");
            }
        }
        if (!failures.IsEmpty)
        {
            throw new AggregateException(failures);
        }
    }
}
