using Kernel.Abi;

namespace UserRuntime;

/// <summary>Processes from a program's point of view: start a child, wait for it, end this one.</summary>
public static unsafe class Process
{
    /// <summary>Bytes of names and arguments <see cref="Spawn"/> can pass (the kernel's own limit is larger).</summary>
    private const int MaxArgumentBytes = 2048;
    private const int MaxArguments = 32;
    private const int MaxReason = 200;

    /// <summary>
    /// Starts program <paramref name="name"/> with <paramref name="arguments"/> (argv[0] is the name) as a
    /// child; returns its pid, or a negative errno (-ENOENT: no such program, -E2BIG: too many arguments).
    /// </summary>
    public static long Spawn(string name, string[] arguments)
    {
        int count = arguments == null ? 0 : arguments.Length;
        if (count + 1 > MaxArguments)
        {
            return -Errno.E2BIG;
        }
        byte* text = stackalloc byte[MaxArgumentBytes];
        byte** argv = stackalloc byte*[MaxArguments + 1];
        int used = 0;
        argv[0] = text;
        if (!Append(text, ref used, name))
        {
            return -Errno.E2BIG;
        }
        for (int i = 0; i < count; i++)
        {
            argv[i + 1] = text + used;
            if (!Append(text, ref used, arguments[i]))
            {
                return -Errno.E2BIG;
            }
        }
        argv[count + 1] = null;
        return Sys.Spawn(argv[0], argv);
    }

    /// <summary>Waits for child <paramref name="pid"/> (-1: any); returns its pid and its Linux-encoded status word.</summary>
    public static long Wait(long pid, out int status)
    {
        int word = 0;
        long result = Sys.Wait(pid, &word, 0);
        status = word;
        return result;
    }

    public static void Exit(int status)
    {
        System.Console.Flush();
        Sys.Exit(status);
    }

    /// <summary>
    /// Ends the process as killed, with "<paramref name="what"/>: <paramref name="detail"/>" as the reason
    /// the kernel reports. Composes the reason on the stack: it must work when the heap is exhausted.
    /// </summary>
    public static void Abort(string what, string detail, object exception) => Abort(null, what, detail, exception);

    /// <summary>Like <see cref="Abort(string, string, object)"/> with <paramref name="prefix"/> written before <paramref name="what"/>.</summary>
    public static void Abort(string prefix, string what, string detail, object exception)
    {
        System.Console.Flush();
        byte* reason = stackalloc byte[MaxReason];
        int length = 0;
        if (exception != null)
        {
            // The kernel names the exception's type from the program's symbols; send only the message.
            AppendText(reason, ref length, detail);
            Sys.Abort(reason, (ulong)length, (ulong)exception.GetMethodTable());
        }
        AppendText(reason, ref length, prefix);
        AppendText(reason, ref length, what);
        if (detail != null)
        {
            AppendText(reason, ref length, ": ");
            AppendText(reason, ref length, detail);
        }
        Sys.Abort(reason, (ulong)length, 0);
        // Not reached: abort does not return. Should it, make sure the process still ends.
        Sys.Exit(127);
    }

    private static bool Append(byte* text, ref int used, string value)
    {
        int length = value == null ? 0 : value.Length;
        if (used + length + 1 > MaxArgumentBytes)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            char c = value[i];
            text[used++] = (byte)(c < 0x80 ? c : '?');
        }
        text[used++] = 0;
        return true;
    }

    private static void AppendText(byte* text, ref int used, string value)
    {
        for (int i = 0; value != null && i < value.Length && used < MaxReason; i++)
        {
            char c = value[i];
            text[used++] = (byte)(c < 0x80 ? c : '?');
        }
    }
}
