namespace Kernel.Tests.Boot;

/// <summary>The firmware QEMU boots the ISO with.</summary>
public enum Firmware
{
    /// <summary>SeaBIOS, QEMU's default: GRUB's i386-pc image, VGA text mode unless an entry asks for a framebuffer.</summary>
    Bios,

    /// <summary>OVMF: GRUB's x86_64-efi image, always a framebuffer (GOP).</summary>
    Uefi,
}
