namespace Kernel.Mem.Paging;

/// <summary>Why a page fault happened, as <see cref="PageFaultClassification.Classify"/> reads it from the error code.</summary>
public enum PageFaultCause
{
    /// <summary>No page is mapped there (P = 0).</summary>
    NotPresent,

    /// <summary>A paging-structure entry on the walk has a reserved bit set (RSVD), e.g. XD without EFER.NXE.</summary>
    ReservedBit,

    /// <summary>A supervisor-mode instruction fetch from a user page with CR4.SMEP set.</summary>
    SupervisorFetchFromUserPage,

    /// <summary>A supervisor-mode data access to a user page with CR4.SMAP set and RFLAGS.AC clear.</summary>
    SupervisorAccessToUserPage,

    /// <summary>An instruction fetch from a page with XD set.</summary>
    ExecuteOfNoExecutePage,

    /// <summary>A write to a read-only page (in supervisor mode only with CR0.WP set).</summary>
    WriteToReadOnlyPage,

    /// <summary>A user-mode access to a supervisor page.</summary>
    UserAccessToSupervisorPage,

    /// <summary>The page's protection key forbade the access (PK).</summary>
    ProtectionKey,

    /// <summary>A shadow-stack access to a page that is not a shadow-stack page, or the reverse (SS).</summary>
    ShadowStack,

    /// <summary>A protection violation the error code does not explain further.</summary>
    ProtectionViolation,
}
