namespace Kernel.Abi;

/// <summary>
/// Linux's signal numbers, as far as this kernel uses them: which signal "killed" a process, in its wait
/// status, and what kill() accepts. There is no signal delivery: every signal that kills, kills at once.
/// </summary>
public static class Signal
{
    public const int SIGINT = 2;
    public const int SIGILL = 4;
    public const int SIGTRAP = 5;
    public const int SIGABRT = 6;
    public const int SIGBUS = 7;
    public const int SIGFPE = 8;
    public const int SIGKILL = 9;
    public const int SIGSEGV = 11;
    public const int SIGTERM = 15;
}
