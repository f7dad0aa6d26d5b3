using System;
using System.Runtime;
using System.Runtime.CompilerServices;

/// <summary>
/// Provokes one kind of fault on request, for the tests of ring-3 faults: each must end this process with a
/// reason that names it, and leave the kernel and every other process alone.
/// </summary>
internal static unsafe class Program
{
    private const ulong KernelDirectMap = 0xFFFF_8000_0010_0000;
    private const ulong KernelImage = 0xFFFF_FFFF_8010_0000;
    private const ulong NonCanonical = 0x0000_8000_0000_0000;

    [RuntimeImport("*", "CrashPrivileged")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void Privileged();

    [RuntimeImport("*", "CrashInvalidOpcode")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void InvalidOpcode();

    [RuntimeImport("*", "CrashDivide")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern int Divide(int dividend);

    [RuntimeImport("*", "CrashSingleStep")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void SingleStep();

    [RuntimeImport("*", "CrashInterrupt")] [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void SoftwareInterrupt();

    private const string Kinds = "null|kernel-read|kernel-write|kernel-image|text-write|exec-stack|noncanonical|privileged|ud|div0|stack-overflow|trap|int80|throw|index";

    internal static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.WriteLine("usage: crash " + Kinds);
            return 2;
        }
        string kind = args[1];
        Console.WriteLine("crash: " + kind);
        if (kind == "null")
        {
            object nothing = Opaque(null);
            return nothing.GetHashCode();
        }
        if (kind == "kernel-read")
        {
            return *(byte*)Opaque(KernelDirectMap);
        }
        if (kind == "kernel-write")
        {
            *(byte*)Opaque(KernelDirectMap) = 1;
            return 0;
        }
        if (kind == "kernel-image")
        {
            return *(byte*)Opaque(KernelImage);
        }
        if (kind == "text-write")
        {
            delegate*<string[], int> main = &Main;
            *(byte*)main = 0xC3;
            return 0;
        }
        if (kind == "exec-stack")
        {
            byte* code = stackalloc byte[16];
            code[0] = 0xC3; // ret
            ((delegate* unmanaged<void>)code)();
            return 0;
        }
        if (kind == "noncanonical")
        {
            return *(byte*)Opaque(NonCanonical);
        }
        if (kind == "privileged")
        {
            Privileged();
            return 0;
        }
        if (kind == "ud")
        {
            InvalidOpcode();
            return 0;
        }
        if (kind == "div0")
        {
            return Divide(args.Length);
        }
        if (kind == "stack-overflow")
        {
            return Recurse(0);
        }
        if (kind == "trap")
        {
            SingleStep();
            return 0;
        }
        if (kind == "int80")
        {
            SoftwareInterrupt();
            return 0;
        }
        if (kind == "throw")
        {
            throw new InvalidOperationException("thrown on request");
        }
        if (kind == "index")
        {
            int[] small = new int[2];
            return small[args.Length + 5];
        }
        Console.WriteLine("crash: unknown kind " + kind + "; kinds: " + Kinds);
        return 2;
    }

    // Values the compiler cannot see through, so the faulting access is really made.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static object Opaque(object value) => value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Opaque(ulong value) => value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Recurse(int depth)
    {
        byte* frame = stackalloc byte[512];
        frame[depth & 511] = (byte)depth;
        return Recurse(depth + 1) + frame[0];
    }
}
