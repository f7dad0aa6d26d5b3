namespace Kernel.Mem.Pebble;

/// <summary>Whether a pebble is handed out. Zero is neither, so a cleared or overwritten header is not mistaken for one.</summary>
public enum PebbleState : byte
{
    Free = 1,
    InUse = 2,
}
