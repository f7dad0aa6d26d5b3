using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>Figures read from the shell's <c>meminfo</c> output.</summary>
public static class Meminfo
{
    /// <summary>The free frames of the <c>all</c> line (its second figure); fails the test when there is no such line.</summary>
    public static ulong FreeFrames(string meminfo)
    {
        Match m = Regex.Match(meminfo, @"^all\s+\d+\s+(\d+)\s", RegexOptions.Multiline);
        Assert.True(m.Success, "no 'all' line in meminfo:\n" + meminfo);
        return ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
