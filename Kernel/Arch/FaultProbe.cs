using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Arch;

/// <summary>
/// Touches memory that may fault and survives it, the way Linux's exception tables do: the access is a
/// single instruction at a known address in faultprobe.asm, and a fault there resumes at a fixup that
/// returns false instead of panicking. Self-tests use it to prove that a page really is unmapped or
/// read-only; nothing else may fault silently.
/// </summary>
internal static unsafe class FaultProbe
{
    [RuntimeImport("*", "KernelProbeRead")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern int ProbeRead(ulong address, byte* value);

    [RuntimeImport("*", "KernelProbeWrite")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern int ProbeWrite(ulong address, byte value);

    [RuntimeImport("*", "KernelProbeExecute")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern int ProbeExecute(ulong address);

    [RuntimeImport("*", "KernelProbeSites")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong* Sites();

    private static ulong s_lastFaultAddress;
    private static ulong s_lastErrorCode;
    private static ulong s_lastVector;
    private static ulong s_executeTarget;

    public static ulong LastFaultAddress => s_lastFaultAddress;

    public static ulong LastErrorCode => s_lastErrorCode;

    public static ExceptionVector LastVector => (ExceptionVector)s_lastVector;

    /// <summary>Reads a byte; false when the read faulted (the fault is recorded, not fatal).</summary>
    public static bool TryRead(ulong address, out byte value)
    {
        byte result;
        bool ok = ProbeRead(address, &result) != 0;
        value = ok ? result : (byte)0;
        return ok;
    }

    /// <summary>Writes a byte; false when the write faulted.</summary>
    public static bool TryWrite(ulong address, byte value) => ProbeWrite(address, value) != 0;

    /// <summary>
    /// Calls <paramref name="address"/>, which must hold a bare <c>ret</c> if it is executable at all;
    /// false when fetching the instruction faulted.
    /// </summary>
    public static bool TryExecute(ulong address)
    {
        s_executeTarget = address;
        bool ok = ProbeExecute(address) != 0;
        s_executeTarget = 0;
        return ok;
    }

    internal static bool TryRecover(InterruptFrame* frame, ulong faultAddress)
    {
        // Only a memory access can fault at a probe: a page fault, or #GP for a non-canonical address. Anything
        // else at the probe's RIP (an NMI, a debug trap, a stray vector) is not the probe's to swallow.
        if (frame->Vector != (ulong)ExceptionVector.PageFault && frame->Vector != (ulong)ExceptionVector.GeneralProtection)
        {
            return false;
        }
        ulong* sites = Sites();
        // sites: read instruction, write instruction, fixup, execute fixup.
        bool atProbe = frame->Rip == sites[0] || frame->Rip == sites[1];
        bool executeProbe = s_executeTarget != 0 && frame->Rip == s_executeTarget;
        if (!atProbe && !executeProbe)
        {
            return false;
        }
        s_lastFaultAddress = faultAddress;
        s_lastErrorCode = frame->ErrorCode;
        s_lastVector = frame->Vector;
        if (executeProbe)
        {
            // The faulting fetch happened at the call target: drop the return address the call pushed.
            frame->Rsp += 8;
            frame->Rip = sites[3];
        }
        else
        {
            frame->Rip = sites[2];
        }
        return true;
    }
}
