using Kernel.Mem.Pebble;

namespace Kernel.Memory;

/// <summary>Words for what the pebble allocator reports, shared by the DMA layer and the shell.</summary>
internal static class PebbleReport
{
    public static string Describe(PebbleStatus status)
    {
        switch (status)
        {
            case PebbleStatus.Ok: return "ok";
            case PebbleStatus.NullPointer: return "null pointer";
            case PebbleStatus.OutOfMemory: return "out of memory (no frame run satisfies the constraints)";
            case PebbleStatus.InvalidRequest: return "invalid request (size, alignment, boundary or flags)";
            case PebbleStatus.ForeignPointer: return "rejected: not a pebble of this allocator";
            case PebbleStatus.InvalidPointer: return "rejected: not the start of a pebble";
            case PebbleStatus.DoubleFree: return "rejected: double free";
            case PebbleStatus.NotOwner: return "rejected: another owner's pebble";
            case PebbleStatus.Corrupted: return "rejected: corrupted header";
            default: return "unknown status";
        }
    }
}
