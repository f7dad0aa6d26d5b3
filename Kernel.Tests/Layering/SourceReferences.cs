using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace Kernel.Tests.Layering;

/// <summary>
/// Which kernel types a C# source file names, read from its tokens: every type of Kernel/ lives in a file named
/// after it (STYLE.md), so a file's name is its type's name and its folder is its layer. A name counts as a
/// reference where it stands for the type: not after a dot (a member access) unless the dot follows a namespace
/// (<c>Memory.ObjectAllocator</c>), and not where it is the name of a member being declared
/// (<c>public Process Shell =&gt; ...</c>). Comments and literals are skipped.
/// </summary>
internal static class SourceReferences
{
    private static readonly Regex s_token = new Regex(@"[A-Za-z_][A-Za-z0-9_]*|\S", RegexOptions.Compiled);

    // Keywords after which a name is a type being used, never a member being declared.
    private static readonly HashSet<string> s_beforeType = new HashSet<string>
    {
        "new", "return", "is", "as", "typeof", "sizeof", "nameof", "case", "in", "out", "ref", "static", "readonly",
        "const", "using", "else", "default", "params", "when", "where", "unsafe", "public", "private", "internal",
        "protected", "override", "virtual", "abstract", "sealed", "extern", "volatile", "fixed", "stackalloc", "throw",
        "await", "yield", "class", "struct", "interface", "enum", "partial",
    };

    // What follows the name of a member being declared.
    private static readonly HashSet<string> s_afterDeclaredName = new HashSet<string> { "{", "=", ";", ",", ")", "(" };

    /// <summary>The names in <paramref name="typeNames"/> that <paramref name="source"/> refers to, each once.</summary>
    public static HashSet<string> Find(string source, ISet<string> typeNames, ISet<string> namespaceNames)
    {
        List<string> tokens = Tokens(StripCommentsAndLiterals(source));
        // A member this file declares shadows a type of the same name: Multiboot's own CommandLine property, used
        // unqualified inside Multiboot, is not the shell's CommandLine class.
        var declared = new HashSet<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (IsDeclaredName(tokens, i))
            {
                declared.Add(tokens[i]);
            }
        }
        var found = new HashSet<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!typeNames.Contains(token) || declared.Contains(token))
            {
                continue;
            }
            if (i > 0 && tokens[i - 1] == ".")
            {
                if (i > 1 && namespaceNames.Contains(tokens[i - 2]))
                {
                    found.Add(token);
                }
                continue;
            }
            found.Add(token);
        }
        return found;
    }

    /// <summary>Whether the name at <paramref name="i"/> is a member being declared: after a type, before =, {, ;, (...</summary>
    private static bool IsDeclaredName(List<string> tokens, int i)
    {
        string token = tokens[i];
        if (i == 0 || i + 1 >= tokens.Count || !(char.IsLetter(token[0]) || token[0] == '_'))
        {
            return false;
        }
        string previous = tokens[i - 1];
        bool afterType = (char.IsLetterOrDigit(previous[0]) || previous[0] == '_' || previous is "*" or ">" or "]" or "?")
            && !s_beforeType.Contains(previous);
        return afterType && s_afterDeclaredName.Contains(tokens[i + 1]);
    }

    private static List<string> Tokens(string source)
    {
        var tokens = new List<string>();
        foreach (Match match in s_token.Matches(source))
        {
            tokens.Add(match.Value);
        }
        return tokens;
    }

    /// <summary>The source with comments, string and character literals replaced by spaces.</summary>
    internal static string StripCommentsAndLiterals(string source)
    {
        var result = new StringBuilder(source.Length);
        int i = 0;
        while (i < source.Length)
        {
            char c = source[i];
            char next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                while (i < source.Length && source[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && next == '*')
            {
                int end = source.IndexOf("*/", i + 2, System.StringComparison.Ordinal);
                i = end < 0 ? source.Length : end + 2;
                result.Append(' ');
            }
            else if (c == '"' || (c == '@' && next == '"') || (c == '$' && next == '"'))
            {
                bool verbatim = c == '@';
                i += c == '"' ? 1 : 2;
                while (i < source.Length)
                {
                    if (!verbatim && source[i] == '\\')
                    {
                        i += 2;
                        continue;
                    }
                    if (source[i] == '"')
                    {
                        if (verbatim && i + 1 < source.Length && source[i + 1] == '"')
                        {
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    i++;
                }
                result.Append(" \"\" ");
            }
            else if (c == '\'')
            {
                i++;
                while (i < source.Length && source[i] != '\'')
                {
                    i += source[i] == '\\' ? 2 : 1;
                }
                i++;
                result.Append(" ' ");
            }
            else
            {
                result.Append(c);
                i++;
            }
        }
        return result.ToString();
    }

    /// <summary>Every .cs file under <paramref name="directory"/>, build output left out.</summary>
    public static IEnumerable<string> SourceFiles(string directory)
    {
        foreach (string file in Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(directory, file).Replace('\\', '/');
            if (!relative.StartsWith("obj/", System.StringComparison.Ordinal) && !relative.StartsWith("bin/", System.StringComparison.Ordinal))
            {
                yield return file;
            }
        }
    }
}
