namespace Kernel.Drivers;

/// <summary>
/// An ATA disk: a position (master or slave) on an IDE channel, with what IDENTIFY said about it. Its
/// commands go through the channel, which runs one at a time.
/// </summary>
internal sealed class AtaDisk
{
    public AtaDisk(IdeChannel channel, int position)
    {
        Channel = channel;
        Position = position;
    }

    public IdeChannel Channel { get; }

    /// <summary><see cref="IdeChannel.Master"/> or <see cref="IdeChannel.Slave"/>.</summary>
    public int Position { get; }

    public AtaIdentity Identity => Channel.Identity(Position);

    public ulong Sectors => Identity.Sectors;

    /// <summary>"primary master", "secondary slave", ...</summary>
    public string PositionName => PositionNameOf(Channel, Position);

    public static string PositionNameOf(IdeChannel channel, int position)
    {
        bool primary = channel.Name == IdeController.PrimaryName;
        if (position == IdeChannel.Master)
        {
            return primary ? "primary master" : "secondary master";
        }
        return primary ? "primary slave" : "secondary slave";
    }

    /// <summary>
    /// Reads <paramref name="sectors"/> sectors from <paramref name="lba"/> into the channel's transfer
    /// buffer, where they stay until the channel's next command (for the shell's dumps and benchmarks).
    /// </summary>
    public IdeStatus ReadDma(ulong lba, uint sectors) => Channel.ReadDma(Position, lba, sectors);

    /// <summary>Reads sectors into any kernel memory (copied out of the channel's buffer below 4 GiB).</summary>
    public unsafe IdeStatus Read(ulong lba, uint sectors, byte* destination) => Channel.Read(Position, lba, sectors, destination);

    /// <summary>Writes sectors from any kernel memory (copied into the channel's buffer below 4 GiB).</summary>
    public unsafe IdeStatus Write(ulong lba, uint sectors, byte* source) => Channel.Write(Position, lba, sectors, source);
}
