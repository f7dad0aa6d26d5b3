using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Kernel.Tests.Boot;
using Xunit;

namespace Kernel.Tests.Layering;

/// <summary>
/// One namespace style in the whole repository: file-scoped (<c>namespace X;</c>), one namespace per file
/// (.editorconfig says the same to editors).
/// </summary>
public sealed class NamespaceStyleTests
{
    private static readonly string[] s_folders = { "Kernel", "Kernel.Mem", "User", "Kernel.Tests", "Kernel.Bench", "tools" };

    [Fact]
    public void Every_source_file_declares_one_file_scoped_namespace()
    {
        var blockScoped = new List<string>();
        foreach (string folder in s_folders)
        {
            string directory = Path.Combine(KernelImage.Root, folder);
            if (!Directory.Exists(directory))
            {
                continue;
            }
            foreach (string file in SourceReferences.SourceFiles(directory))
            {
                string text = File.ReadAllText(file);
                MatchCollection declarations = Regex.Matches(text, @"^namespace\s+[\w.]+\s*(;|\{|$)", RegexOptions.Multiline);
                if (declarations.Any(d => !d.Value.TrimEnd().EndsWith(';')))
                {
                    blockScoped.Add(Path.GetRelativePath(KernelImage.Root, file));
                }
            }
        }
        Assert.True(blockScoped.Count == 0, "block-scoped namespaces in:\n" + string.Join("\n", blockScoped));
    }
}
