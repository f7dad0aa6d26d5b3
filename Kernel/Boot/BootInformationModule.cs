namespace Kernel.Boot;

/// <summary>A module GRUB loaded (module2): its physical range and where its NUL-terminated name lies in the boot information.</summary>
internal struct BootInformationModule
{
    public ulong Start;
    public ulong End;

    /// <summary>Offset of the name from the start of the boot information.</summary>
    public uint NameOffset;
}
