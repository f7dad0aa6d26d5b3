using Kernel.Abi;
using Kernel.Mem.User;
using Kernel.Memory;

namespace Kernel.Syscalls;

/// <summary>write(2) on the console: standard output and standard error both print there.</summary>
internal static unsafe class ConsoleCalls
{
    private const long StandardOutput = 1;
    private const long StandardError = 2;
    private const int Chunk = 256;

    /// <summary>
    /// Copies the user's bytes in chunks through a kernel buffer and prints them. Returns the count written;
    /// -EFAULT when the range is not user memory or the first chunk cannot be read, else the bytes written
    /// before the first unreadable chunk (as Linux returns a short count).
    /// </summary>
    public static long Write(long fd, ulong buffer, ulong count)
    {
        if (fd != StandardOutput && fd != StandardError)
        {
            return -Errno.EBADF;
        }
        if (count == 0)
        {
            return 0;
        }
        // The whole range must be user memory before anything is printed, as Linux's access_ok.
        if (!UserLayout.IsUserRange(buffer, count))
        {
            return -Errno.EFAULT;
        }
        byte* chunk = stackalloc byte[Chunk];
        ulong written = 0;
        while (written < count)
        {
            ulong piece = count - written < Chunk ? count - written : Chunk;
            long copied = UserMemory.CopyFrom(chunk, buffer + written, piece);
            if (copied < 0)
            {
                return written == 0 ? copied : (long)written;
            }
            for (ulong i = 0; i < piece; i++)
            {
                byte c = chunk[i];
                Drivers.Console.Write(c == '\n' || c == '\t' || (c >= ' ' && c < 0x7F) ? (char)c : '?');
            }
            written += piece;
        }
        return (long)written;
    }
}
