namespace Kernel.Mem.Physical;

/// <summary>The outcome of adding an entry or a carve-out to a <see cref="MemoryMap"/>.</summary>
public enum MemoryMapStatus
{
    /// <summary>Recorded (a zero-length entry is also "recorded": sanitizing drops it).</summary>
    Ok,

    /// <summary>The fixed capacity is exhausted; the map is unchanged.</summary>
    Full,

    /// <summary>A carve-out was given a firmware kind instead of a carve-out kind; the map is unchanged.</summary>
    InvalidKind,
}
