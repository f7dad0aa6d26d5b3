namespace Kernel.Drivers;

/// <summary>
/// What IDENTIFY DEVICE says about a disk (ATA/ATAPI-6, T13/1410D, "IDENTIFY DEVICE"; words cited below):
/// its model, its size in sectors and the addressing and DMA modes it supports.
/// </summary>
internal sealed unsafe class AtaIdentity
{
    public const int ModelLength = 40;

    // Word 49: bit 9 LBA supported, bit 8 DMA supported.
    private const ushort CapabilityLba = 1 << 9;
    private const ushort CapabilityDma = 1 << 8;
    // Word 83: bit 10 the 48-bit address feature set is supported.
    private const ushort CommandSetLba48 = 1 << 10;

    private const int ModelWord = 27;
    private const int CapabilitiesWord = 49;
    private const int Lba28SectorsWord = 60;
    private const int MultiwordDmaWord = 63;
    private const int CommandSetsWord = 83;
    private const int UltraDmaWord = 88;
    private const int Lba48SectorsWord = 100;

    public readonly byte[] Model = new byte[ModelLength];

    public ulong Sectors;
    public bool SupportsLba;
    public bool SupportsDma;
    public bool SupportsLba48;

    /// <summary>Word 63: bits 2-0 multiword DMA modes 0-2 supported, bits 10-8 the one selected.</summary>
    public ushort MultiwordDma;

    /// <summary>Word 88: bits 6-0 Ultra DMA modes 0-6 supported, bits 14-8 the one selected.</summary>
    public ushort UltraDma;

    /// <summary>Fills the fields from the 256 words the device returned.</summary>
    public void Parse(ushort* words)
    {
        // ATA strings hold two characters per word, the first in the high byte.
        for (int i = 0; i < ModelLength / 2; i++)
        {
            ushort pair = words[ModelWord + i];
            Model[2 * i] = (byte)(pair >> 8);
            Model[2 * i + 1] = (byte)pair;
        }
        SupportsLba = (words[CapabilitiesWord] & CapabilityLba) != 0;
        SupportsDma = (words[CapabilitiesWord] & CapabilityDma) != 0;
        SupportsLba48 = (words[CommandSetsWord] & CommandSetLba48) != 0;
        MultiwordDma = words[MultiwordDmaWord];
        UltraDma = words[UltraDmaWord];
        ulong lba28 = words[Lba28SectorsWord] | (ulong)words[Lba28SectorsWord + 1] << 16;
        ulong lba48 = 0;
        for (int i = 3; i >= 0; i--)
        {
            lba48 = lba48 << 16 | words[Lba48SectorsWord + i];
        }
        Sectors = SupportsLba48 && lba48 > lba28 ? lba48 : lba28;
    }

    /// <summary>The model name without the trailing blanks ATA pads it with.</summary>
    public int ModelTextLength
    {
        get
        {
            int length = ModelLength;
            while (length > 0 && (Model[length - 1] == ' ' || Model[length - 1] == 0))
            {
                length--;
            }
            return length;
        }
    }
}
