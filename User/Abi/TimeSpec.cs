using System.Runtime.InteropServices;

namespace Kernel.Abi;

/// <summary>struct timespec as nanosleep reads it: seconds and nanoseconds (0..999,999,999).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}
