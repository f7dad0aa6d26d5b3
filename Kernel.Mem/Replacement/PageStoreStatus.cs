namespace Kernel.Mem.Replacement;

/// <summary>The outcome of a page-file transfer.</summary>
public enum PageStoreStatus
{
    Ok = 0,

    /// <summary>The disk reported an error or did not complete the transfer (after the driver's retry).</summary>
    DeviceError,

    /// <summary>The slot is not one of the page file's, or not allocated: a kernel bug, refused rather than done.</summary>
    BadSlot,
}
