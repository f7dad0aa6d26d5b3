using System.Collections.Generic;
using System.IO;

namespace Kernel.Tests.Layering;

/// <summary>
/// The kernel's layers, as README.md's "Layers" section draws them: a file may use types of its own layer and of the
/// layers below it; a lower layer reaches a higher one only through a callback the higher one registers at boot.
/// </summary>
internal static class KernelLayers
{
    /// <summary>Each folder of Kernel/ (and each file directly in it) and its layer, lowest first.</summary>
    public static readonly IReadOnlyDictionary<string, int> Rank = new Dictionary<string, int>
    {
        // The runtime the compiler's output needs (also linked into user programs), and its host glue.
        ["Runtime"] = 0,
        ["RuntimeHost.cs"] = 0,
        // What the boot loader handed over: the boot information, the boot stub's identity map.
        ["Boot"] = 1,
        // The CPU: descriptor tables, interrupts, the PIC and PIT, control registers, user-copy probes.
        ["Arch"] = 2,
        // Frames, page tables, the kernel heap, pebbles, stacks, user address spaces.
        ["Memory"] = 3,
        // Devices: console, serial, keyboard, PCI, IDE, floppy, DMA.
        ["Drivers"] = 4,
        // Services built on all of the above.
        ["Tasks"] = 5,
        ["Syscalls"] = 5,
        ["Swap"] = 5,
        // What a user drives: the shell and its commands, the self-tests.
        ["Shell"] = 6,
        ["SelfTest"] = 6,
        // The composition root: starts every layer in order and registers the callbacks.
        ["KernelMain.cs"] = 7,
        // The fatal path sits below everything (any layer may panic) and reads every layer to report.
        ["Panic.cs"] = 0,
    };

    /// <summary>
    /// Types any layer may use although they live higher: the kernel's printk (the console is a driver, but a
    /// boot message or a memory warning must reach the screen), and the allocator that <c>new</c> compiles to.
    /// </summary>
    public static readonly IReadOnlySet<string> EveryLayerMayUse = new HashSet<string>
    {
        "Console", "ConsoleColor", "ObjectAllocator",
    };

    /// <summary>
    /// Files that may use any layer: the panic report reads every layer's state (stack bounds, the fault's
    /// classification, symbols) once everything has stopped, and must not depend on a registration that may not
    /// have happened yet.
    /// </summary>
    public static readonly IReadOnlySet<string> MayUseAnyLayer = new HashSet<string>
    {
        "Kernel/Panic.cs", "Kernel/Arch/PanicScreen.cs",
    };

    /// <summary>The layer key of a file given relative to the repository root: its folder under Kernel/, or its name.</summary>
    public static string KeyOf(string relativePath)
    {
        string[] parts = relativePath.Split('/');
        return parts.Length > 2 ? parts[1] : parts[^1];
    }

    /// <summary>The type a file declares: its name, up to the first dot (partial parts are Type.Concept.cs).</summary>
    public static string TypeOf(string path)
    {
        string name = Path.GetFileName(path);
        return name[..name.IndexOf('.')];
    }
}
