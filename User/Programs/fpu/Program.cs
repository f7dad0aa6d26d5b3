using Kernel.Abi;
using UserRuntime;

/// <summary>
/// Keeps values in SSE registers through long loops with no call in them, so the timer preempts the loops and
/// other programs run in between: every exact sum must come out exact. Kernel entries save and restore the xmm
/// registers they may change and a context switch the whole FPU state; a register the kernel, or another
/// program, left changed shows as a wrong sum. Run two at once with different seeds ("run fpu 3 &", "run fpu 5")
/// so that each one's values pass through the other's switches.
/// </summary>
internal static class Program
{
    // Sums of up to 2^24 terms below 2^24 stay below 2^53: every one is exact in a double.
    private const int Terms = 1 << 21;
    private const int Rounds = 8;

    internal static int Main(string[] args)
    {
        long seed = args.Length > 1 ? args[1].Length + args[1][0] - '0' : 1;
        TestLog.Begin("fpu");
        bool exact = true;
        for (int round = 0; round < Rounds && exact; round++)
        {
            double a = 0, b = 0, c = 0, d = 0, e = seed, f = -seed;
            for (int i = 0; i < Terms; i++)
            {
                double x = i;
                a += x;
                b += x + x;
                c -= x;
                d += seed;
                e += 3;
                f -= 1;
            }
            long n = Terms;
            long sum = n * (n - 1) / 2;
            exact = a == sum && b == 2 * sum && c == -sum && d == n * seed && e == seed + 3 * n && f == -seed - n;
        }
        TestLog.Check(exact, "sums_kept_in_sse_registers_across_preemption_are_exact");
        return TestLog.End();
    }
}
