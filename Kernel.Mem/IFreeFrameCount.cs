namespace Kernel.Mem;

/// <summary>How many frames a frame source has left: what a <see cref="FrameReserve{TSource}"/> guards.</summary>
public interface IFreeFrameCount
{
    /// <summary>The frames free at the time of the call, in every zone the source allocates from.</summary>
    ulong FreeFrameCount { get; }
}
