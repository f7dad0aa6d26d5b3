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

    /// <summary>The frames of the kernel's reserve, which user memory may not take.</summary>
    public static ulong ReserveFrames(string meminfo) => ReserveFigure(meminfo, 1);

    /// <summary>The frames user memory could still take (the free frames above the reserve).</summary>
    public static ulong AvailableFrames(string meminfo) => ReserveFigure(meminfo, 2);

    private static ulong ReserveFigure(string meminfo, int group)
    {
        Match m = Regex.Match(meminfo, @"^kernel reserve: (\d+) frames \(\d+ KiB\) user memory may not take; (\d+) frames available to it, \d+ refused$",
            RegexOptions.Multiline);
        Assert.True(m.Success, "no 'kernel reserve' line in meminfo:\n" + meminfo);
        return ulong.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
    }
}
