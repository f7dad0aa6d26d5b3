namespace Kernel.Mem.Physical;

/// <summary>
/// The physical zones, ordered from the most constrained to the least. An ordinary request names the
/// highest zone it accepts and falls back downwards (Normal, then DMA32, then DMA), so the constrained
/// zones are kept for the devices that need them.
/// </summary>
public enum ZoneId
{
    /// <summary>Below 16 MiB: reachable by the ISA DMA controller (24 address lines).</summary>
    Dma = 0,

    /// <summary>16 MiB up to 4 GiB: reachable by devices with 32-bit DMA addresses.</summary>
    Dma32 = 1,

    /// <summary>4 GiB and above.</summary>
    Normal = 2,
}
