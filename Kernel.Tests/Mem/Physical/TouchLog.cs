using System.Collections.Generic;

namespace Kernel.Tests.Mem.Physical;

/// <summary>Every physical address a <see cref="TouchRecordingMemory"/> was asked to reach.</summary>
public sealed class TouchLog
{
    public HashSet<ulong> Touched { get; } = new HashSet<ulong>();
}
