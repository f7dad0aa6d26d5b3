using Kernel.Abi;
using Kernel.Arch;
using Kernel.Mem.User;

namespace Kernel.Memory;

/// <summary>
/// The only way the kernel reads or writes memory a user program named: the range is checked against
/// user space first (inside the lower half, above the never-mapped bottom, no wrap-around), then copied
/// by the fault-tolerant copies, so a bad pointer is -EFAULT and never a kernel fault. The copies run on
/// the address space the CPU is on: the calling process's own.
/// </summary>
internal static unsafe class UserMemory
{
    /// <summary>Copies <paramref name="count"/> bytes from user <paramref name="source"/>; 0 or -EFAULT.</summary>
    public static long CopyFrom(void* destination, ulong source, ulong count)
    {
        if (count == 0)
        {
            return 0;
        }
        if (!UserLayout.IsUserRange(source, count))
        {
            return -Errno.EFAULT;
        }
        return UserAccess.Copy(destination, (void*)source, count);
    }

    /// <summary>Copies <paramref name="count"/> bytes to user <paramref name="destination"/>; 0 or -EFAULT.</summary>
    public static long CopyTo(ulong destination, void* source, ulong count)
    {
        if (count == 0)
        {
            return 0;
        }
        if (!UserLayout.IsUserRange(destination, count))
        {
            return -Errno.EFAULT;
        }
        return UserAccess.Copy((void*)destination, source, count);
    }

    /// <summary>
    /// Copies the NUL-terminated string at user <paramref name="source"/> into <paramref name="destination"/>
    /// (room for <paramref name="capacity"/> bytes, the NUL included); returns its length, -ENAMETOOLONG
    /// when it does not fit, or -EFAULT.
    /// </summary>
    public static long CopyString(byte* destination, ulong source, ulong capacity)
    {
        if (source < UserLayout.LowestAddress || source >= UserLayout.End)
        {
            return -Errno.EFAULT;
        }
        // Never read past the end of user space, whatever the capacity.
        ulong limit = UserLayout.End - source < capacity ? UserLayout.End - source : capacity;
        long length = UserAccess.CopyString(destination, (byte*)source, limit);
        if (length < 0)
        {
            return length;
        }
        if ((ulong)length >= limit)
        {
            return limit < capacity ? -Errno.EFAULT : -Errno.ENAMETOOLONG;
        }
        return length;
    }
}
