using System;

namespace Kernel.Mem.Pebble;

/// <summary>
/// What a pebble request asks for (FYSOS's MALLOC_FLAGS). The memory <em>type</em> of a request, and so of
/// the bucket that serves it, is its contiguity (<see cref="Physical"/> or not), its address limit (the
/// tightest of the Below flags; <see cref="Anywhere"/> or none means no limit) and <see cref="Persistent"/>.
/// Address limits are properties of physical frames and are checked on physical addresses.
/// </summary>
[Flags]
public enum PebbleFlags : ushort
{
    None = 0,

    /// <summary>
    /// Virtually contiguous only (the default when <see cref="Physical"/> is absent): the bucket is single
    /// frames mapped at consecutive virtual addresses.
    /// </summary>
    Virtual = 1 << 0,

    /// <summary>Physically contiguous: the bucket is one run of frames, so base + offset is the physical address.</summary>
    Physical = 1 << 1,

    /// <summary>The pebble's memory is zeroed before it is handed out.</summary>
    Clear = 1 << 2,

    /// <summary>Every byte lies below 1 MiB (real-mode reachable).</summary>
    Below1MiB = 1 << 3,

    /// <summary>Every byte lies below 16 MiB (ISA DMA has 24 address lines).</summary>
    Below16MiB = 1 << 4,

    /// <summary>Every byte lies below 4 GiB (devices with 32-bit DMA addresses).</summary>
    Below4GiB = 1 << 5,

    /// <summary>No address limit (the same as giving no Below flag; stated for readability).</summary>
    Anywhere = 1 << 6,

    /// <summary>
    /// An aligned request: the alignment argument is honoured as always, and an alignment of 0 means a page
    /// (4 KiB) instead of the default 64 bytes.
    /// </summary>
    Aligned = 1 << 7,

    /// <summary>The pebble goes into a persistent bucket, which is never released, even when it becomes empty.</summary>
    Persistent = 1 << 8,

    /// <summary>
    /// Place pebbles best fit (the smallest free pebble that holds the request) instead of first fit. A bucket
    /// takes its policy from the request that created it.
    /// </summary>
    BestFit = 1 << 9,

    /// <summary>HARDWARE32: physically contiguous, zeroed and below 4 GiB.</summary>
    Hardware32 = Below4GiB | Physical | Clear,

    /// <summary>HARDWARE64: physically contiguous and zeroed, anywhere.</summary>
    Hardware64 = Physical | Clear,
}
