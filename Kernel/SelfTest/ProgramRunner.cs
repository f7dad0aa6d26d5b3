using Kernel.Tasks;

namespace Kernel.SelfTest;

/// <summary>Runs user programs from a suite, on the shell's thread, the way the shell's run does.</summary>
internal static unsafe class ProgramRunner
{
    public static long Run(string name, string first, string second, out int status)
    {
        status = 0;
        Tasks.Process child = Spawn(name, first, second);
        if (child == null)
        {
            return -1;
        }
        WaitEnd(child);
        status = ProcessManager.StatusWord(child);
        long pid = child.Pid;
        ProcessManager.Reap(child);
        return pid;
    }

    /// <summary>Spawns NAME [FIRST [SECOND]] as a child of the shell; null when it could not start.</summary>
    public static Tasks.Process Spawn(string name, string first, string second) => Spawn(name, first, second, SpawnOptions.Default);

    /// <summary>Spawns NAME [FIRST [SECOND]] with the given working set; null when it could not start.</summary>
    public static Tasks.Process Spawn(string name, string first, string second, SpawnOptions options)
    {
        byte* text = stackalloc byte[128];
        byte** arguments = stackalloc byte*[3];
        ulong* lengths = stackalloc ulong[3];
        int count = 0;
        int used = 0;
        Add(name, text, arguments, lengths, ref count, ref used);
        Add(first, text, arguments, lengths, ref count, ref used);
        Add(second, text, arguments, lengths, ref count, ref used);
        long status = ProcessManager.Spawn(arguments[0], (int)lengths[0], arguments, lengths, count, ProcessManager.Shell, options, out Tasks.Process child, out _);
        return status == 0 ? child : null;
    }

    private static void Add(string word, byte* text, byte** arguments, ulong* lengths, ref int count, ref int used)
    {
        if (word == null)
        {
            return;
        }
        arguments[count] = text + used;
        lengths[count] = (ulong)word.Length;
        for (int i = 0; i < word.Length; i++)
        {
            text[used++] = (byte)word[i];
        }
        count++;
    }

    public static Tasks.Process WaitEnd(Tasks.Process child)
    {
        while (child.State != ProcessState.Zombie)
        {
            Scheduler.Block();
        }
        return child;
    }
}
