using System;
using Kernel.Abi;
using Kernel.Mem;
using Kernel.Mem.Replacement;
using UserRuntime;

/// <summary>
/// Touches 16 heap pages in a fixed, read-mostly reference pattern with its working set limited (run it as
/// "run -ws 11 -policy clock|modclock|lru refpattern") and checks that the kernel's faults, page-ins, page-outs
/// and writes avoided equal what the host-tested model (Kernel.Mem/Replacement/ReplacementModel) predicts for
/// the same references. Everything else the program uses (stack, heap metadata, its own objects) is pinned
/// first with mlockall(MCL_CURRENT), so the working set holds the pattern's pages alone. Under LRU aging the
/// aging steps (one per tick that finds the program in ring 3) are counted around every reference and replayed
/// into the model in the same order; a tick that lands right at a reference makes the order unknowable, and the
/// run is repeated.
/// </summary>
internal static unsafe class Program
{
    private const int Pages = 16;
    private const int Attempts = 6;

    // Reads land here, so the compiler cannot drop them.
    private static byte s_sink;

    private static readonly int[] s_pattern =
    {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 10, 11, 12, 0, 1, 2, 13, 4, 5, 0, 1, 14, 6, 7, 2, 3, 15, 0, 1, 8, 9,
        10, 11, 0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 0, 1, 2, 3,
    };

    internal static int Main(string[] args)
    {
        MemoryCounters counters;
        Sys.GetMemoryCounters(&counters);
        if (counters.WorkingSetCapacity == 0)
        {
            Console.WriteLine("refpattern: no working set (no page file): nothing to check");
            return 2;
        }
        var policy = (ReplacementPolicy)counters.Policy;
        int capacity = (int)counters.WorkingSetCapacity;
        int[] aging = new int[s_pattern.Length + 1];
        ReplacementModel[] models = new ReplacementModel[Attempts];
        for (int i = 0; i < Attempts; i++)
        {
            models[i] = new ReplacementModel(Pages, capacity, policy, ageEveryReference: false);
        }
        // The pattern's pages are allocated now, so that the heap's own metadata pages are resident before
        // mlockall pins them; each attempt then gives the pages back to the kernel and reserves them afresh
        // with the FOS calls themselves, which leaves the heap's bookkeeping (and its pages) alone.
        byte* region = (byte*)Heap.Malloc(Pages * MemConstants.PageSize);
        DeepenStack();
        long locked = Sys.LockAllCurrent();
        if (locked != 0)
        {
            Console.Write("refpattern: FAIL mlockall: ");
            Console.WriteLine(Errno.Name(locked));
            return 1;
        }
        Sys.GetMemoryCounters(&counters);
        if (counters.WorkingSetPages != 0)
        {
            Console.WriteLine("refpattern: FAIL pages other than the pattern's are in the working set after mlockall");
            return 1;
        }

        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            Sys.Raw((long)SyscallNumber.FreeUserMemory, (long)region, Pages * (long)MemConstants.PageSize);
            Sys.Raw((long)SyscallNumber.AllocateUserMemory, (long)region, Pages * (long)MemConstants.PageSize);
            MemoryCounters before;
            Sys.GetMemoryCounters(&before);
            if (before.WorkingSetPages != 0)
            {
                Console.WriteLine("refpattern: FAIL pages other than the pattern's joined the working set");
                return 1;
            }
            bool ordered = Run(region, policy == ReplacementPolicy.LruAging, aging);
            MemoryCounters after;
            Sys.GetMemoryCounters(&after);
            if (!ordered)
            {
                continue;
            }
            ReplacementModel model = models[attempt];
            for (int i = 0; i < s_pattern.Length; i++)
            {
                for (int k = 0; k < aging[i]; k++)
                {
                    model.Age();
                }
                model.Reference(s_pattern[i], IsWrite(i));
            }
            return Report(policy, capacity, model, after.PageFaults - before.PageFaults, after.PageIns - before.PageIns,
                after.PageOuts - before.PageOuts, after.WritesAvoided - before.WritesAvoided);
        }
        Console.WriteLine("refpattern: FAIL a tick landed at a reference in every attempt");
        return 1;
    }

    // Read-mostly: one reference in five writes.
    private static bool IsWrite(int index) => index % 5 == 0;

    /// <summary>
    /// Makes the references. Under aging it records in <paramref name="aging"/>[i] the aging steps taken before
    /// reference i, and waits for at least one step between references; false when a step fell between the two
    /// readings that bracket a reference, so that its order against the reference is unknown.
    /// </summary>
    private static bool Run(byte* region, bool aged, int[] aging)
    {
        MemoryCounters counters;
        Sys.GetMemoryCounters(&counters);
        ulong last = counters.AgingSteps;
        for (int i = 0; i < s_pattern.Length; i++)
        {
            Sys.GetMemoryCounters(&counters);
            ulong beforeReference = counters.AgingSteps;
            byte* page = region + s_pattern[i] * (int)MemConstants.PageSize;
            if (IsWrite(i))
            {
                *page = (byte)i;
            }
            else
            {
                s_sink += *page;
            }
            Sys.GetMemoryCounters(&counters);
            if (counters.AgingSteps != beforeReference)
            {
                return false;
            }
            aging[i] = (int)(beforeReference - last);
            last = beforeReference;
            while (aged && counters.AgingSteps == beforeReference)
            {
                Sys.GetMemoryCounters(&counters);
            }
        }
        return true;
    }

    private static int Report(ReplacementPolicy policy, int capacity, ReplacementModel model, ulong faults, ulong pageIns, ulong pageOuts, ulong avoided)
    {
        bool right = faults == model.Faults && pageIns == model.PageIns && pageOuts == model.PageOuts && avoided == model.WritesAvoided;
        Console.Write("refpattern: ");
        Console.Write(right ? "ok   " : "FAIL ");
        Console.Write(policy == ReplacementPolicy.Clock ? "clock" : policy == ReplacementPolicy.ModifiedClock ? "modclock" : "lru");
        Console.Write(" ws ");
        Console.Write(capacity);
        Console.Write(": faults ");
        Console.Write(faults);
        Console.Write(", page-ins ");
        Console.Write(pageIns);
        Console.Write(", page-outs ");
        Console.Write(pageOuts);
        Console.Write(", writes avoided ");
        Console.Write(avoided);
        Console.Write(" (model: ");
        Console.Write(model.Faults);
        Console.Write(", ");
        Console.Write(model.PageIns);
        Console.Write(", ");
        Console.Write(model.PageOuts);
        Console.Write(", ");
        Console.Write(model.WritesAvoided);
        Console.WriteLine(")");
        return right ? 0 : 1;
    }

    /// <summary>Touches the stack a few pages down, so that the pattern's calls never fault a new stack page in.</summary>
    private static void DeepenStack()
    {
        byte* scratch = stackalloc byte[12 * 1024];
        for (int i = 0; i < 12 * 1024; i += 512)
        {
            scratch[i] = 1;
        }
    }
}
