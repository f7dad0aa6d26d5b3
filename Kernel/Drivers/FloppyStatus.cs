namespace Kernel.Drivers;

/// <summary>The outcome of a floppy operation.</summary>
internal enum FloppyStatus
{
    Ok,

    /// <summary>CMOS register 0x10 reports no first drive.</summary>
    NoDrive,

    /// <summary>A drive type other than 3.5" 1.44 MB (the only geometry this driver knows).</summary>
    UnsupportedDrive,

    /// <summary>The controller did not become ready for a command or result byte (MSR RQM/DIO).</summary>
    ControllerTimeout,

    /// <summary>IRQ 6 did not arrive in time after a reset, seek or transfer.</summary>
    InterruptTimeout,

    /// <summary>RECALIBRATE or SEEK ended abnormally or on the wrong cylinder.</summary>
    SeekFailed,

    /// <summary>READ DATA ended with an error in ST0/ST1/ST2.</summary>
    ReadFailed,

    /// <summary>The LBA lies beyond the last sector of the disk.</summary>
    OutOfRange,

    /// <summary>The buffer is missing, too small, above 16 MiB or crosses a 64 KiB boundary.</summary>
    BadBuffer,
}
