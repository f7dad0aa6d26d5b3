namespace Kernel.Boot;

/// <summary>
/// A direct-colour linear framebuffer GRUB set up (multiboot2 framebuffer tag, type 8, framebuffer_type 1):
/// its physical address, geometry and where each colour's bits lie in a pixel. Only 32-bit pixels are
/// accepted (what UEFI GOP and QEMU's VBE modes give); <see cref="BootInformation"/> checks every field.
/// </summary>
internal struct BootInformationFramebuffer
{
    public ulong Address;
    public uint Pitch;
    public uint Width;
    public uint Height;
    public byte BitsPerPixel;
    public byte RedPosition;
    public byte RedSize;
    public byte GreenPosition;
    public byte GreenSize;
    public byte BluePosition;
    public byte BlueSize;

    /// <summary>Bytes from the first pixel to the end of the last line.</summary>
    public ulong Size => (ulong)Pitch * Height;
}
