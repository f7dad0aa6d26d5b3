namespace Kernel.Swap;

/// <summary>The outcome of a page-file read or write.</summary>
internal enum PageFileStatus
{
    Ok,

    /// <summary>No disk carries the page-file signature.</summary>
    NoPageFile,

    /// <summary>The slot number is at or past the slot count.</summary>
    BadSlot,

    /// <summary>The slot is not allocated (a page is read or written only through a slot it holds).</summary>
    SlotNotAllocated,

    /// <summary>The frame address is not page aligned or lies outside the direct map.</summary>
    BadFrame,

    /// <summary>The disk failed the transfer twice, before and after a channel reset (see <see cref="PageFile.LastDiskStatus"/>).</summary>
    DiskError,
}
