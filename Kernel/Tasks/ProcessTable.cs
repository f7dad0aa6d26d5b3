namespace Kernel.Tasks;

/// <summary>
/// Every process record, live or zombie, in pid order (a list: there are at most a few dozen), and the
/// pid counter. Pids are never reused while the kernel runs.
/// </summary>
internal static class ProcessTable
{
    /// <summary>User processes (live or zombie) that may exist at once; spawn beyond it is -EAGAIN.</summary>
    public const int MaxUserProcesses = 64;

    private static Process s_first;
    private static Process s_last;
    private static int s_nextPid = 1;
    private static int s_userProcesses;

    public static Process First => s_first;

    public static int UserProcesses => s_userProcesses;

    public static int NextPid() => s_nextPid++;

    public static void Add(Process process)
    {
        process.NextInTable = null;
        if (s_last == null)
        {
            s_first = process;
            DebuggerView.SetFirstProcess(process);
        }
        else
        {
            s_last.NextInTable = process;
        }
        s_last = process;
        if (!process.IsKernelTask)
        {
            s_userProcesses++;
        }
    }

    public static void Remove(Process process)
    {
        Process previous = null;
        for (Process p = s_first; p != null; previous = p, p = p.NextInTable)
        {
            if (p != process)
            {
                continue;
            }
            if (previous == null)
            {
                s_first = p.NextInTable;
                DebuggerView.SetFirstProcess(s_first);
            }
            else
            {
                previous.NextInTable = p.NextInTable;
            }
            if (s_last == p)
            {
                s_last = previous;
            }
            p.NextInTable = null;
            if (!p.IsKernelTask)
            {
                s_userProcesses--;
            }
            return;
        }
    }

    public static Process Find(long pid)
    {
        for (Process p = s_first; p != null; p = p.NextInTable)
        {
            if (p.Pid == pid)
            {
                return p;
            }
        }
        return null;
    }
}
