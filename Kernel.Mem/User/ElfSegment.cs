namespace Kernel.Mem.User;

/// <summary>One PT_LOAD program header of a checked <see cref="ElfImage"/>: where its bytes are and where they go.</summary>
public readonly struct ElfSegment
{
    public ElfSegment(ulong virtualAddress, ulong memorySize, ulong fileOffset, ulong fileSize, bool writable, bool executable)
    {
        VirtualAddress = virtualAddress;
        MemorySize = memorySize;
        FileOffset = fileOffset;
        FileSize = fileSize;
        Writable = writable;
        Executable = executable;
    }

    public ulong VirtualAddress { get; }

    /// <summary>Bytes the segment occupies in memory; those past <see cref="FileSize"/> are zero (.bss).</summary>
    public ulong MemorySize { get; }

    public ulong FileOffset { get; }

    public ulong FileSize { get; }

    public bool Writable { get; }

    public bool Executable { get; }

    /// <summary>The first page the segment touches.</summary>
    public ulong FirstPage => MemConstants.AlignDown(VirtualAddress, MemConstants.PageSize);

    /// <summary>One past the last page the segment touches.</summary>
    public ulong EndPage => MemConstants.AlignUp(VirtualAddress + MemorySize, MemConstants.PageSize);

    public ulong PageCount => (EndPage - FirstPage) / MemConstants.PageSize;
}
