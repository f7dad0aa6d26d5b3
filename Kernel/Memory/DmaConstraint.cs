namespace Kernel.Memory;

/// <summary>The highest physical address a device can reach with its DMA engine.</summary>
internal enum DmaConstraint
{
    /// <summary>ISA DMA (8237): 24 address lines, the page register holds bits 23..16.</summary>
    Below16MiB,

    /// <summary>A 32-bit bus master, e.g. IDE's PRD entries and table pointer.</summary>
    Below4GiB,

    /// <summary>A 64-bit capable bus master.</summary>
    Anywhere,
}
