using Kernel.Mem.Replacement;

namespace Kernel.Tasks;

/// <summary>How a process's memory is managed: its working set's size and replacement policy (FOS'25).</summary>
internal unsafe struct SpawnOptions
{
    /// <summary>
    /// Without a size given (run -ws, ws=), a process may keep this many pages resident: 1 GiB, so by default
    /// replacement starts when memory runs short rather than at a small limit (the working set's table
    /// grows as pages join, so the limit itself costs nothing).
    /// </summary>
    public const int DefaultWorkingSetPages = 1 << 18;

    /// <summary>The smallest working set a process may be given: its stack page and a few others must fit.</summary>
    public const int MinimumWorkingSetPages = 4;

    public const int MaximumWorkingSetPages = 1 << 20;

    public int WorkingSetPages;

    public ReplacementPolicy Policy;

    /// <summary>The kernel's defaults, which the command line's ws= and policy= options may change.</summary>
    public static SpawnOptions Default => new SpawnOptions { WorkingSetPages = s_defaultPages, Policy = s_defaultPolicy };

    private static int s_defaultPages = DefaultWorkingSetPages;
    private static ReplacementPolicy s_defaultPolicy = ReplacementPolicy.Clock;

    public static void SetDefaults(int pages, ReplacementPolicy policy)
    {
        s_defaultPages = pages;
        s_defaultPolicy = policy;
    }

    /// <summary>Parses a policy name as the shell and the command line spell it: clock, modclock, lru.</summary>
    public static bool TryParsePolicy(char* text, int length, out ReplacementPolicy policy)
    {
        policy = ReplacementPolicy.Clock;
        if (Is(text, length, "clock"))
        {
            return true;
        }
        if (Is(text, length, "modclock"))
        {
            policy = ReplacementPolicy.ModifiedClock;
            return true;
        }
        if (Is(text, length, "lru"))
        {
            policy = ReplacementPolicy.LruAging;
            return true;
        }
        return false;
    }

    public static string NameOf(ReplacementPolicy policy)
    {
        switch (policy)
        {
            case ReplacementPolicy.ModifiedClock:
                return "modclock";
            case ReplacementPolicy.LruAging:
                return "lru";
            default:
                return "clock";
        }
    }

    private static bool Is(char* text, int length, string word)
    {
        if (length != word.Length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (text[i] != word[i])
            {
                return false;
            }
        }
        return true;
    }
}
