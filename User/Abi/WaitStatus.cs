namespace Kernel.Abi;

/// <summary>
/// The status word wait4 stores, encoded as Linux does: exit status in bits 8..15 for a normal exit, the
/// killing signal in bits 0..6 otherwise (so WIFEXITED, WEXITSTATUS, WIFSIGNALED and WTERMSIG read it).
/// </summary>
public static class WaitStatus
{
    /// <summary>wait4's option: return 0 at once instead of waiting when no child has ended.</summary>
    public const long NoHang = 1;

    public static int Exited(int status) => (status & 0xFF) << 8;

    public static int Signaled(int signal) => signal & 0x7F;

    public static bool IsExited(int word) => (word & 0x7F) == 0;

    public static int ExitStatus(int word) => (word >> 8) & 0xFF;

    public static bool IsSignaled(int word) => (word & 0x7F) != 0;

    public static int TermSignal(int word) => word & 0x7F;
}
