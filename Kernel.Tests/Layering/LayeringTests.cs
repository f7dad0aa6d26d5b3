using System.Collections.Generic;
using System.IO;
using System.Linq;
using Kernel.Tests.Boot;
using Xunit;

namespace Kernel.Tests.Layering;

/// <summary>
/// Keeps Kernel/ layered (README.md, "Layers"): every type a file names must belong to its own layer or one
/// below it, unless <see cref="KernelLayers"/> names it as usable by all.
/// </summary>
public sealed class LayeringTests
{
    private static readonly HashSet<string> s_namespaces = new HashSet<string>
    {
        "Kernel", "Runtime", "Boot", "Arch", "Memory", "Drivers", "Tasks", "Syscalls", "Swap", "Shell", "SelfTest",
    };

    [Fact]
    public void Every_kernel_file_uses_only_its_own_layer_and_the_layers_below()
    {
        List<string> violations = Violations(KernelSources());
        Assert.True(violations.Count == 0, "upward references (README.md, Layers):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_folder_and_file_of_Kernel_has_a_layer()
    {
        string[] unknown = KernelSources().Keys.Select(KernelLayers.KeyOf).Distinct()
            .Where(key => !KernelLayers.Rank.ContainsKey(key)).ToArray();
        Assert.True(unknown.Length == 0, "no layer for: " + string.Join(", ", unknown));
    }

    [Fact]
    public void A_driver_named_from_the_memory_layer_is_an_upward_reference()
    {
        var sources = new Dictionary<string, string>
        {
            ["Kernel/Memory/Pager.cs"] = "namespace Kernel.Memory { class Pager { void F() { Drivers.IdeChannel.Read(); } } }",
            ["Kernel/Drivers/IdeChannel.cs"] = "namespace Kernel.Drivers { class IdeChannel { public static void Read() { } } }",
        };
        Assert.Equal(new[] { "Kernel/Memory/Pager.cs (Memory) uses IdeChannel (Drivers)" }, Violations(sources));
    }

    [Fact]
    public void Member_names_comments_and_strings_are_not_references()
    {
        var sources = new Dictionary<string, string>
        {
            ["Kernel/Memory/Pager.cs"] = "namespace Kernel.Memory { class Pager {\n"
                + "  public static Process Shell => null; // Shell.Run()\n"
                + "  string s = \"IdeChannel\"; void F() { x.IdeChannel(); } } }",
            ["Kernel/Drivers/IdeChannel.cs"] = "class IdeChannel { }",
            ["Kernel/Shell/Shell.cs"] = "class Shell { }",
        };
        Assert.Empty(Violations(sources));
    }

    [Fact]
    public void The_console_and_new_may_be_used_from_every_layer()
    {
        var sources = new Dictionary<string, string>
        {
            ["Kernel/Boot/Loader.cs"] = "class Loader { void F() { Console.Write(); Memory.ObjectAllocator.AllocateZeroed(8); } }",
            ["Kernel/Drivers/Console.cs"] = "class Console { }",
            ["Kernel/Memory/ObjectAllocator.cs"] = "class ObjectAllocator { }",
        };
        Assert.Empty(Violations(sources));
    }

    private static Dictionary<string, string> KernelSources()
    {
        string root = KernelImage.Root;
        return SourceReferences.SourceFiles(Path.Combine(root, "Kernel"))
            .ToDictionary(file => Path.GetRelativePath(root, file).Replace('\\', '/'), File.ReadAllText);
    }

    /// <summary>"file (layer) uses Type (layer)" for every reference above the file's layer.</summary>
    private static List<string> Violations(IReadOnlyDictionary<string, string> sources)
    {
        var owner = new Dictionary<string, string>();
        foreach (string path in sources.Keys)
        {
            owner[KernelLayers.TypeOf(path)] = KernelLayers.KeyOf(path);
        }
        var typeNames = new HashSet<string>(owner.Keys);
        var violations = new List<string>();
        foreach ((string path, string source) in sources.OrderBy(pair => pair.Key, System.StringComparer.Ordinal))
        {
            string key = KernelLayers.KeyOf(path);
            if (KernelLayers.MayUseAnyLayer.Contains(path) || !KernelLayers.Rank.TryGetValue(key, out int rank))
            {
                continue;
            }
            foreach (string type in SourceReferences.Find(source, typeNames, s_namespaces).OrderBy(t => t, System.StringComparer.Ordinal))
            {
                string target = owner[type];
                if (target != key && !KernelLayers.EveryLayerMayUse.Contains(type)
                    && KernelLayers.Rank.TryGetValue(target, out int targetRank) && targetRank > rank)
                {
                    violations.Add($"{path} ({key}) uses {type} ({target})");
                }
            }
        }
        return violations;
    }
}
