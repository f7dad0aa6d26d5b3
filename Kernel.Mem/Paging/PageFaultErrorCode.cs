using System;

namespace Kernel.Mem.Paging;

/// <summary>The error code the CPU pushes with a page fault (Intel SDM Vol. 3A, 4.7, Figure 4-12).</summary>
[Flags]
public enum PageFaultErrorCode : ulong
{
    None = 0,

    /// <summary>P: set for a protection violation on a present page, clear for a non-present page.</summary>
    Present = 1 << 0,

    /// <summary>W/R: the access was a write.</summary>
    Write = 1 << 1,

    /// <summary>U/S: the access was made in user mode (CPL 3), not a supervisor-mode access.</summary>
    User = 1 << 2,

    /// <summary>RSVD: a paging-structure entry had a reserved bit set.</summary>
    ReservedBit = 1 << 3,

    /// <summary>I/D: the access was an instruction fetch.</summary>
    InstructionFetch = 1 << 4,

    /// <summary>PK: the protection key forbade the access.</summary>
    ProtectionKey = 1 << 5,

    /// <summary>SS: the access was a shadow-stack access.</summary>
    ShadowStack = 1 << 6,
}
