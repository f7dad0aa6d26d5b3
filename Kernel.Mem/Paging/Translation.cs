namespace Kernel.Mem.Paging;

/// <summary>What a virtual address translates to: the physical byte, and the page that holds it.</summary>
public readonly struct Translation
{
    public Translation(ulong physicalAddress, PageFlags flags, PageSize size)
    {
        PhysicalAddress = physicalAddress;
        Flags = flags;
        Size = size;
    }

    /// <summary>The physical address of the translated byte (frame plus the offset within the page).</summary>
    public ulong PhysicalAddress { get; }

    /// <summary>The leaf's attributes, including the hardware's Accessed/Dirty state and software marks.</summary>
    public PageFlags Flags { get; }

    public PageSize Size { get; }
}
