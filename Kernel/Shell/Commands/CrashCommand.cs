using System;
using System.Runtime.CompilerServices;
using Kernel.Arch;

namespace Kernel.Shell.Commands;

/// <summary>
/// Deliberate faults that show the panic screen; each ends the kernel: a null dereference, a read, a
/// write or a call at any address, an invalid opcode, a stack overflow into the boot stack's guard page,
/// and a managed throw.
/// </summary>
internal sealed unsafe class CrashCommand : ShellCommand
{
    public override string Name => "crash";

    public override string Arguments => "null|pf ADDR|write ADDR|exec ADDR|ud|stack|throw";

    public override string Summary => "provoke a fault to see the panic screen";

    private sealed class Node
    {
        public Node Next;
        public int Value;
    }

    private const byte WrittenByte = 0x5A;
    private const int RecursionFrameBytes = 256;

    private static Node s_nothing;

    public override void Execute(CommandLine line)
    {
        if (line.Count == 2 && line.WordIs(1, "null"))
        {
            Drivers.Console.WriteLine("crash: reading a field through a null reference");
            Drivers.Console.WriteDecimal((ulong)ReadThroughNull(s_nothing));
            return;
        }
        if (line.Count == 3 && line.WordIs(1, "pf") && line.TryParseNumber(2, out ulong address))
        {
            Drivers.Console.Write("crash: reading ");
            Drivers.Console.WriteHex(address);
            Drivers.Console.WriteLine();
            Drivers.Console.WriteDecimal((ulong)*(byte*)address);
            return;
        }
        if (line.Count == 3 && line.WordIs(1, "write") && line.TryParseNumber(2, out address))
        {
            Drivers.Console.Write("crash: writing a byte to ");
            Drivers.Console.WriteHex(address);
            Drivers.Console.WriteLine();
            *(byte*)address = WrittenByte;
            return;
        }
        if (line.Count == 3 && line.WordIs(1, "exec") && line.TryParseNumber(2, out address))
        {
            Drivers.Console.Write("crash: calling ");
            Drivers.Console.WriteHex(address);
            Drivers.Console.WriteLine();
            ((delegate* unmanaged<void>)address)();
            return;
        }
        if (line.Count == 2 && line.WordIs(1, "stack"))
        {
            Drivers.Console.WriteLine("crash: recursing until the boot stack runs into its guard page");
            Drivers.Console.WriteDecimal((ulong)Recurse(0));
            return;
        }
        if (line.Count == 2 && line.WordIs(1, "ud"))
        {
            Drivers.Console.WriteLine("crash: executing ud2");
            Cpu.InvalidOpcode();
            return;
        }
        if (line.Count == 2 && line.WordIs(1, "throw"))
        {
            Drivers.Console.WriteLine("crash: throwing an exception");
            Throw();
            return;
        }
        PrintUsage();
    }

    // Not inlined, so the compiler cannot see that the reference is always null: the load itself
    // must fault on the unmapped page 0.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadThroughNull(Node node) => node.Next.Value + node.Value;

    // Unbounded, and not a tail call: the frame's buffer is read after the inner call returns, so every
    // level keeps its frame until the stack runs into the unmapped guard page below it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Recurse(int depth)
    {
        byte* frame = stackalloc byte[RecursionFrameBytes];
        frame[0] = (byte)depth;
        return Recurse(depth + 1) + frame[0];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw()
    {
        throw new InvalidOperationException("deliberate exception from the shell's crash command");
    }
}
