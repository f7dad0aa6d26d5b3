namespace Kernel.Boot;

/// <summary>
/// The multiboot2 boot information read without trusting it (Multiboot2 specification, 3.6): a total
/// size and a reserved word, then 8-byte-aligned tags of a type and a size, ended by a tag of type 0.
/// Everything is kept as offsets from the start of the structure, so the kernel can reach it through
/// any mapping. Hardware-free: it reads only the bytes it is given (the host tests compile this file
/// and its companions, Kernel/Boot/BootInformation*.cs, and feed it malformed structures).
/// </summary>
/// <remarks>
/// A structure that is misaligned, shorter than its header or longer than the memory behind it is
/// refused whole. Within it, a tag whose size is smaller than its header or that runs past the end
/// stops the walk (the next tag cannot be found); a tag malformed in its own fields is skipped. Either
/// way the problem is recorded for the kernel to print.
/// </remarks>
internal sealed unsafe class BootInformation
{
    public const int MaxModules = 64;
    public const int MaxProblems = 16;

    public const uint TagEnd = 0;
    public const uint TagCommandLine = 1;
    public const uint TagBootLoaderName = 2;
    public const uint TagModule = 3;
    public const uint TagMemoryMap = 6;
    public const uint TagFramebuffer = 8;
    public const uint TagAcpiOld = 14;
    public const uint TagAcpiNew = 15;

    /// <summary>The header (total size, reserved) and every tag header are 8 bytes; tags start 8-byte aligned.</summary>
    public const uint HeaderSize = 8;
    public const uint Alignment = 8;

    /// <summary>A module tag: header, mod_start, mod_end, then the name.</summary>
    public const uint ModuleNameOffset = 16;

    /// <summary>A memory map tag: header, entry_size, entry_version, then the entries.</summary>
    public const uint MemoryMapEntriesOffset = 16;

    /// <summary>base_addr, length, type, reserved: what every memory map entry holds, whatever its entry_size.</summary>
    public const uint MemoryMapEntryMinimumSize = 24;

    /// <summary>A framebuffer tag: header, address, pitch, width, height, bpp, type, reserved (32 bytes), then the colour info.</summary>
    public const uint FramebufferColorInfoOffset = 32;

    /// <summary>Direct colour adds six bytes: position and mask size of red, green and blue.</summary>
    public const uint FramebufferDirectColorSize = FramebufferColorInfoOffset + 6;

    public const byte FramebufferTypeIndexed = 0;
    public const byte FramebufferTypeDirectColor = 1;
    public const byte FramebufferTypeEgaText = 2;
    public const byte FramebufferBitsPerPixel = 32;

    /// <summary>x86-64's architectural limit on physical addresses (52 bits): a framebuffer must end below it.</summary>
    public const ulong PhysicalAddressLimit = 1UL << 52;

    /// <summary>ACPI 6.4, 5.2.5.3: the ACPI 1.0 RSDP is 20 bytes, the 2.0 one at least 36 (its length field at 20).</summary>
    public const uint RsdpV1Size = 20;
    public const uint RsdpV2Size = 36;
    public const uint RsdpLengthOffset = 20;

    private readonly BootInformationModule[] _modules = new BootInformationModule[MaxModules];
    private readonly BootInformationProblem[] _problems = new BootInformationProblem[MaxProblems];

    private BootInformation()
    {
    }

    public uint TotalSize { get; private set; }

    /// <summary>Offset of the NUL-terminated command line, 0 when there is none.</summary>
    public uint CommandLineOffset { get; private set; }

    /// <summary>Offset of the NUL-terminated boot loader name, 0 when there is none.</summary>
    public uint BootLoaderNameOffset { get; private set; }

    /// <summary>Offset of the first memory map entry; entries are <see cref="MemoryMapEntrySize"/> apart.</summary>
    public uint MemoryMapOffset { get; private set; }

    public uint MemoryMapEntrySize { get; private set; }

    public int MemoryMapCount { get; private set; }

    public int ModuleCount { get; private set; }

    /// <summary>Whether GRUB gave a usable 32-bit direct-colour framebuffer (<see cref="Framebuffer"/>).</summary>
    public bool HasFramebuffer { get; private set; }

    public BootInformationFramebuffer Framebuffer { get; private set; }

    /// <summary>
    /// Offset of the checked copy of the ACPI RSDP GRUB placed in a tag, 0 when there is none. The ACPI 2.0
    /// copy (tag 15) is preferred to the 1.0 one (tag 14), whatever their order.
    /// </summary>
    public uint RsdpOffset { get; private set; }

    /// <summary>Whether <see cref="RsdpOffset"/> is an ACPI 2.0 RSDP (with the XSDT address).</summary>
    public bool RsdpIsExtended { get; private set; }

    /// <summary>Problems found, at most <see cref="MaxProblems"/> recorded; <see cref="ProblemCount"/> counts them all.</summary>
    public int ProblemCount { get; private set; }

    public BootInformationModule Module(int index) => _modules[index];

    public BootInformationProblem Problem(int index) => _problems[index];

    /// <summary>
    /// Reads the boot information at <paramref name="info"/>, behind which <paramref name="available"/>
    /// bytes may be read. On anything but <see cref="BootInformationStatus.Ok"/>,
    /// <paramref name="information"/> is null.
    /// </summary>
    public static BootInformationStatus Parse(byte* info, ulong available, out BootInformation information)
    {
        information = null;
        if (((ulong)info & (Alignment - 1)) != 0)
        {
            return BootInformationStatus.Misaligned;
        }
        if (available < HeaderSize)
        {
            return BootInformationStatus.TotalSizeBeyondMemory;
        }
        uint totalSize = *(uint*)info;
        if (totalSize < HeaderSize)
        {
            return BootInformationStatus.TotalSizeTooSmall;
        }
        if (totalSize > available)
        {
            return BootInformationStatus.TotalSizeBeyondMemory;
        }
        information = new BootInformation();
        information.TotalSize = totalSize;
        information.ReadTags(info);
        return BootInformationStatus.Ok;
    }

    private void ReadTags(byte* info)
    {
        // Offsets are ulong so that offset + size never wraps; both are bounded by TotalSize once checked.
        ulong offset = HeaderSize;
        while (offset + HeaderSize <= TotalSize)
        {
            uint type = *(uint*)(info + offset);
            uint size = *(uint*)(info + offset + 4);
            if (type == TagEnd)
            {
                return;
            }
            if (size < HeaderSize)
            {
                Report(BootInformationProblemKind.TagSmallerThanHeader, type, offset);
                return;
            }
            if (size > TotalSize - offset)
            {
                Report(BootInformationProblemKind.TagPastEnd, type, offset);
                return;
            }
            ReadTag(info, type, (uint)offset, size);
            offset += (size + Alignment - 1) & ~(ulong)(Alignment - 1);
        }
        Report(BootInformationProblemKind.MissingEndTag, TagEnd, offset);
    }

    /// <summary>One tag of <paramref name="size"/> bytes at <paramref name="offset"/>, which lies wholly inside the structure.</summary>
    private void ReadTag(byte* info, uint type, uint offset, uint size)
    {
        switch (type)
        {
            case TagCommandLine:
                if (IsTerminated(info, offset + HeaderSize, offset + size, type, offset))
                {
                    CommandLineOffset = offset + HeaderSize;
                }
                break;
            case TagBootLoaderName:
                if (IsTerminated(info, offset + HeaderSize, offset + size, type, offset))
                {
                    BootLoaderNameOffset = offset + HeaderSize;
                }
                break;
            case TagModule:
                ReadModule(info, offset, size);
                break;
            case TagMemoryMap:
                ReadMemoryMap(info, offset, size);
                break;
            case TagFramebuffer:
                ReadFramebuffer(info, offset, size);
                break;
            case TagAcpiOld:
            case TagAcpiNew:
                ReadRsdp(info, type, offset, size);
                break;
        }
    }

    private void ReadFramebuffer(byte* info, uint offset, uint size)
    {
        if (size < FramebufferColorInfoOffset)
        {
            Report(BootInformationProblemKind.TagTooShort, TagFramebuffer, offset);
            return;
        }
        byte* tag = info + offset;
        byte kind = tag[29];
        if (kind == FramebufferTypeEgaText)
        {
            // VGA text mode, which the kernel drives without being told.
            return;
        }
        if (kind != FramebufferTypeDirectColor || tag[28] != FramebufferBitsPerPixel)
        {
            Report(BootInformationProblemKind.FramebufferUnsupported, TagFramebuffer, offset);
            return;
        }
        if (size < FramebufferDirectColorSize)
        {
            Report(BootInformationProblemKind.TagTooShort, TagFramebuffer, offset);
            return;
        }
        var framebuffer = new BootInformationFramebuffer
        {
            Address = *(ulong*)(tag + 8),
            Pitch = *(uint*)(tag + 16),
            Width = *(uint*)(tag + 20),
            Height = *(uint*)(tag + 24),
            BitsPerPixel = tag[28],
            RedPosition = tag[32],
            RedSize = tag[33],
            GreenPosition = tag[34],
            GreenSize = tag[35],
            BluePosition = tag[36],
            BlueSize = tag[37],
        };
        if (!IsPossible(framebuffer))
        {
            Report(BootInformationProblemKind.FramebufferMalformed, TagFramebuffer, offset);
            return;
        }
        Framebuffer = framebuffer;
        HasFramebuffer = true;
    }

    /// <summary>
    /// Non-empty, lines at least as long as their pixels, a 4-byte-aligned non-zero address, the
    /// whole frame below the physical address limit, and each colour a field of 1 to 8 bits inside the pixel.
    /// </summary>
    private static bool IsPossible(BootInformationFramebuffer framebuffer)
    {
        ulong bytesPerPixel = FramebufferBitsPerPixel / 8;
        if (framebuffer.Width == 0 || framebuffer.Height == 0 || framebuffer.Pitch < framebuffer.Width * bytesPerPixel)
        {
            return false;
        }
        if (framebuffer.Address == 0 || (framebuffer.Address & (bytesPerPixel - 1)) != 0)
        {
            return false;
        }
        if (framebuffer.Address >= PhysicalAddressLimit || framebuffer.Size > PhysicalAddressLimit - framebuffer.Address)
        {
            return false;
        }
        return IsColorField(framebuffer.RedPosition, framebuffer.RedSize)
            && IsColorField(framebuffer.GreenPosition, framebuffer.GreenSize)
            && IsColorField(framebuffer.BluePosition, framebuffer.BlueSize);
    }

    private static bool IsColorField(byte position, byte size) => size >= 1 && size <= 8 && position + size <= FramebufferBitsPerPixel;

    /// <summary>A copy of the RSDP (ACPI 1.0 in tag 14, 2.0 in tag 15), checked as the firmware's would be.</summary>
    private void ReadRsdp(byte* info, uint type, uint offset, uint size)
    {
        bool extended = type == TagAcpiNew;
        uint payload = size - HeaderSize;
        if (payload < (extended ? RsdpV2Size : RsdpV1Size))
        {
            Report(BootInformationProblemKind.TagTooShort, type, offset);
            return;
        }
        byte* rsdp = info + offset + HeaderSize;
        if (!HasRsdpSignature(rsdp))
        {
            Report(BootInformationProblemKind.RsdpBadSignature, type, offset);
            return;
        }
        if (!SumsToZero(rsdp, RsdpV1Size))
        {
            Report(BootInformationProblemKind.RsdpBadChecksum, type, offset);
            return;
        }
        if (extended)
        {
            uint length = *(uint*)(rsdp + RsdpLengthOffset);
            if (length < RsdpV2Size || length > payload)
            {
                Report(BootInformationProblemKind.RsdpBadLength, type, offset);
                return;
            }
            if (!SumsToZero(rsdp, length))
            {
                Report(BootInformationProblemKind.RsdpBadChecksum, type, offset);
                return;
            }
        }
        else if (RsdpIsExtended)
        {
            return;
        }
        RsdpOffset = offset + HeaderSize;
        RsdpIsExtended = extended;
    }

    private static bool HasRsdpSignature(byte* rsdp)
    {
        // "RSD PTR ", ACPI 6.4, 5.2.5.3.
        return rsdp[0] == (byte)'R' && rsdp[1] == (byte)'S' && rsdp[2] == (byte)'D' && rsdp[3] == (byte)' '
            && rsdp[4] == (byte)'P' && rsdp[5] == (byte)'T' && rsdp[6] == (byte)'R' && rsdp[7] == (byte)' ';
    }

    private static bool SumsToZero(byte* bytes, uint length)
    {
        byte sum = 0;
        for (uint i = 0; i < length; i++)
        {
            sum += bytes[i];
        }
        return sum == 0;
    }

    private void ReadModule(byte* info, uint offset, uint size)
    {
        if (size < ModuleNameOffset)
        {
            Report(BootInformationProblemKind.TagTooShort, TagModule, offset);
            return;
        }
        uint start = *(uint*)(info + offset + 8);
        uint end = *(uint*)(info + offset + 12);
        if (end < start)
        {
            Report(BootInformationProblemKind.ModuleEndBeforeStart, TagModule, offset);
            return;
        }
        if (!IsTerminated(info, offset + ModuleNameOffset, offset + size, TagModule, offset))
        {
            return;
        }
        if (ModuleCount == MaxModules)
        {
            Report(BootInformationProblemKind.TooManyModules, TagModule, offset);
            return;
        }
        _modules[ModuleCount++] = new BootInformationModule { Start = start, End = end, NameOffset = offset + ModuleNameOffset };
    }

    private void ReadMemoryMap(byte* info, uint offset, uint size)
    {
        if (size < MemoryMapEntriesOffset)
        {
            Report(BootInformationProblemKind.TagTooShort, TagMemoryMap, offset);
            return;
        }
        uint entrySize = *(uint*)(info + offset + 8);
        if (entrySize < MemoryMapEntryMinimumSize || entrySize % Alignment != 0)
        {
            Report(BootInformationProblemKind.BadMemoryMapEntrySize, TagMemoryMap, offset);
            return;
        }
        uint entryBytes = size - MemoryMapEntriesOffset;
        if (entryBytes % entrySize != 0)
        {
            Report(BootInformationProblemKind.MemoryMapTrailingBytes, TagMemoryMap, offset);
        }
        MemoryMapEntrySize = entrySize;
        MemoryMapOffset = offset + MemoryMapEntriesOffset;
        MemoryMapCount = (int)(entryBytes / entrySize);
    }

    /// <summary>True when a NUL lies in [<paramref name="from"/>, <paramref name="end"/>); otherwise reports the tag.</summary>
    private bool IsTerminated(byte* info, uint from, uint end, uint type, uint tagOffset)
    {
        for (uint i = from; i < end; i++)
        {
            if (info[i] == 0)
            {
                return true;
            }
        }
        Report(BootInformationProblemKind.StringNotTerminated, type, tagOffset);
        return false;
    }

    private void Report(BootInformationProblemKind kind, uint type, ulong offset)
    {
        if (ProblemCount < MaxProblems)
        {
            _problems[ProblemCount] = new BootInformationProblem { Kind = kind, TagType = type, TagOffset = (uint)offset };
        }
        ProblemCount++;
    }
}
