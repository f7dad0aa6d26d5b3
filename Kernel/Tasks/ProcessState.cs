namespace Kernel.Tasks;

internal enum ProcessState
{
    /// <summary>Its thread exists: running, ready or blocked.</summary>
    Live,

    /// <summary>Ended: every frame and its thread are gone; only the record for its parent's wait4 is left.</summary>
    Zombie,
}
