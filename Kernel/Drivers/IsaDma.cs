using Kernel.Arch;

namespace Kernel.Drivers;

/// <summary>
/// The first (8-bit) 8237A DMA controller of the PC/AT, channels 0-3; channel 2 serves the floppy
/// controller. A channel's address register holds bits 15-0 and its page register bits 23-16 of the
/// physical address; the page register does not count, so a transfer must stay below 16 MiB and inside
/// one 64 KiB page, and is at most 64 KiB long (8237A datasheet, "Register description").
/// </summary>
internal static class IsaDma
{
    public const int FloppyChannel = 2;
    public const ulong AddressLimit = 16UL * 1024 * 1024;
    public const ulong PageSize = 64 * 1024;

    private const ushort SingleMaskPort = 0x0A;
    private const ushort ModePort = 0x0B;
    private const ushort ClearFlipFlopPort = 0x0C;

    // Single mask register: bits 1-0 select the channel, bit 2 sets (1) or clears (0) its mask.
    private const byte MaskSet = 0x04;

    // Mode register: bits 7-6 01 single transfer, bit 5 0 address increment, bit 4 0 no autoinit,
    // bits 3-2 the transfer type, bits 1-0 the channel.
    private const byte ModeSingle = 0x40;
    private const byte ModeWriteToMemory = 0x04;
    private const byte ModeReadFromMemory = 0x08;

    /// <summary>
    /// Programs <paramref name="channel"/> (0-3) for one single-mode transfer of <paramref name="length"/>
    /// bytes at <paramref name="physical"/> and unmasks it, so the device's next DREQ starts it. Returns
    /// false, programming nothing, when the buffer breaks the controller's limits.
    /// </summary>
    public static bool Prepare(int channel, ulong physical, uint length, IsaDmaDirection direction)
    {
        if ((uint)channel > 3 || length == 0 || length > PageSize || physical + length > AddressLimit
            || physical / PageSize != (physical + length - 1) / PageSize)
        {
            return false;
        }
        // The count register holds the number of transfers minus one.
        uint count = length - 1;
        byte mode = (byte)(ModeSingle | (direction == IsaDmaDirection.DeviceToMemory ? ModeWriteToMemory : ModeReadFromMemory) | channel);

        Cpu.OutByte(SingleMaskPort, (byte)(MaskSet | channel));
        // Any write resets the byte-pointer flip-flop, so the next 16-bit register access starts low.
        Cpu.OutByte(ClearFlipFlopPort, 0);
        Cpu.OutByte(AddressPort(channel), (byte)physical);
        Cpu.OutByte(AddressPort(channel), (byte)(physical >> 8));
        Cpu.OutByte(PagePort(channel), (byte)(physical >> 16));
        Cpu.OutByte(ClearFlipFlopPort, 0);
        Cpu.OutByte(CountPort(channel), (byte)count);
        Cpu.OutByte(CountPort(channel), (byte)(count >> 8));
        Cpu.OutByte(ModePort, mode);
        Cpu.OutByte(SingleMaskPort, (byte)channel);
        return true;
    }

    /// <summary>Masks <paramref name="channel"/> again, so a stray DREQ cannot move data.</summary>
    public static void Mask(int channel) => Cpu.OutByte(SingleMaskPort, (byte)(MaskSet | (channel & 3)));

    // Channel n's address and count registers sit at ports 2n and 2n+1.
    private static ushort AddressPort(int channel) => (ushort)(channel * 2);

    private static ushort CountPort(int channel) => (ushort)(channel * 2 + 1);

    // The page registers are not in channel order (PC/AT 74LS612 page register file).
    private static ushort PagePort(int channel)
    {
        switch (channel)
        {
            case 0: return 0x87;
            case 1: return 0x83;
            case 2: return 0x81;
            default: return 0x82;
        }
    }
}
