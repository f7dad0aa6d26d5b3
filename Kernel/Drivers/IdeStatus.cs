namespace Kernel.Drivers;

/// <summary>The outcome of an IDE controller or ATA disk operation.</summary>
internal enum IdeStatus
{
    Ok,

    /// <summary>No PCI function of class 01h subclass 01h (IDE controller).</summary>
    NoController,

    /// <summary>The controller has no usable bus-master range (programming interface bit 7, BAR4).</summary>
    NoBusMaster,

    /// <summary>Nothing answers at the position (status 00h or FFh after selecting it).</summary>
    NoDevice,

    /// <summary>The device at the position is not an ATA disk (an ATAPI or SATA signature after IDENTIFY).</summary>
    NotAta,

    /// <summary>No position of either channel holds an ATA disk that does LBA and DMA.</summary>
    NoDisk,

    /// <summary>The disk does not do LBA or DMA (IDENTIFY word 49 bits 9 and 8).</summary>
    Unsupported,

    /// <summary>BSY did not clear, or DRQ did not come, in time.</summary>
    DeviceTimeout,

    /// <summary>Neither IRQ 14 nor the bus-master interrupt bit arrived in time, the engine still active.</summary>
    InterruptTimeout,

    /// <summary>
    /// No interrupt came and the bus master had stopped (Active clear): it ran out of descriptors before
    /// the device had moved every sector.
    /// </summary>
    PrdTableExhausted,

    /// <summary>The device ended the command with ERR or DF in its status register.</summary>
    DeviceError,

    /// <summary>The device interrupted but still showed BSY or DRQ: it had not finished the command.</summary>
    DeviceNotDone,

    /// <summary>The bus master reported an error (status bit 1): a PCI master or target abort.</summary>
    BusMasterError,

    /// <summary>
    /// The device ended the command while the bus master was still active: it moved fewer bytes than the
    /// PRD table, sized to the command, describes.
    /// </summary>
    TransferIncomplete,

    /// <summary>No memory below 4 GiB for the transfer buffer and PRD table.</summary>
    NoDmaMemory,

    /// <summary>The sectors lie beyond the end of the disk.</summary>
    OutOfRange,

    /// <summary>A count of 0 or above the per-command maximum, or buffers that do not hold it.</summary>
    BadRequest,
}
