namespace Kernel.Arch;

/// <summary>
/// QEMU's isa-debug-exit device (iobase 0xf4): writing v makes QEMU exit with status (v &lt;&lt; 1) | 1.
/// 0x10 (status 33) means success and 0x11 (35) failure, so neither is confused with QEMU's own 1.
/// On other machines the write does nothing and the caller falls back.
/// </summary>
internal static class QemuExit
{
    private const ushort Port = 0xF4;
    public const byte Success = 0x10;
    public const byte Failure = 0x11;

    public static void Pass() => Cpu.OutDword(Port, Success);

    public static void Fail() => Cpu.OutDword(Port, Failure);
}
