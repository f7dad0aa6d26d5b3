using System.IO;
using System.Linq;
using Kernel.Tests.Boot;
using Xunit;

namespace Kernel.Tests.Swap;

/// <summary>
/// <c>tools/build.sh pagefile FILE [MiB]</c> (tools/pagefile, the kernel's own header code): the image it writes,
/// and the disk images it will not overwrite.
/// </summary>
public sealed class PageFileToolTests : IClassFixture<PageFileImages>, IClassFixture<DmaTestImages>
{
    private readonly PageFileImages _pageFiles;
    private readonly DmaTestImages _images;

    public PageFileToolTests(PageFileImages pageFiles, DmaTestImages images)
    {
        _pageFiles = pageFiles;
        _images = images;
    }

    [Fact]
    public void The_tool_writes_a_signed_image_of_the_size_asked_for_and_refuses_to_overwrite_another_disk()
    {
        Assert.Equal(PageFileImages.MiB << 20, _pageFiles.Template.Length);
        Assert.Equal("CsKernelPageFile", System.Text.Encoding.ASCII.GetString(_pageFiles.Template, 0, 16));
        Assert.Contains($"{PageFileImages.Slots} slots of 4 KiB from LBA 8", _pageFiles.ToolOutput);
        Assert.All(_pageFiles.Template.Skip(PageFileImages.SlotSize), b => Assert.Equal(0, b));

        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(KernelImage.Root, "tools", "build.sh"));
        start.ArgumentList.Add("pagefile");
        start.ArgumentList.Add(_images.DiskPath);
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("is not a page-file image; not overwritten", output);
        Assert.Equal(_images.Disk, File.ReadAllBytes(_images.DiskPath));
    }
}
