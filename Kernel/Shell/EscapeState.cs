namespace Kernel.Shell;

/// <summary>Where the line editor is in a terminal escape sequence.</summary>
internal enum EscapeState
{
    None,

    /// <summary>ESC was read; a '[' or 'O' next starts a sequence, anything else is read as typed.</summary>
    Escape,

    /// <summary>Inside ESC [ or ESC O: parameter bytes until the final byte.</summary>
    Sequence,
}
