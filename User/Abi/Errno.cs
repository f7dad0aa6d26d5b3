namespace Kernel.Abi;

/// <summary>Error numbers, Linux's values; a system call returns one negated.</summary>
public static class Errno
{
    public const long EPERM = 1;
    public const long ENOENT = 2;
    public const long ESRCH = 3;
    public const long EINTR = 4;
    public const long EIO = 5;
    public const long E2BIG = 7;
    public const long ENOEXEC = 8;
    public const long EBADF = 9;
    public const long ECHILD = 10;
    public const long EAGAIN = 11;
    public const long ENOMEM = 12;
    public const long EFAULT = 14;
    public const long EEXIST = 17;
    public const long EINVAL = 22;
    public const long ENAMETOOLONG = 36;
    public const long ENOSYS = 38;

    /// <summary>The symbolic name of an error number (without the sign), for programs that print results.</summary>
    public static string Name(long error)
    {
        switch (error < 0 ? -error : error)
        {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case ESRCH: return "ESRCH";
            case EINTR: return "EINTR";
            case EIO: return "EIO";
            case E2BIG: return "E2BIG";
            case ENOEXEC: return "ENOEXEC";
            case EBADF: return "EBADF";
            case ECHILD: return "ECHILD";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EFAULT: return "EFAULT";
            case EEXIST: return "EEXIST";
            case EINVAL: return "EINVAL";
            case ENAMETOOLONG: return "ENAMETOOLONG";
            case ENOSYS: return "ENOSYS";
            default: return "E?";
        }
    }
}
