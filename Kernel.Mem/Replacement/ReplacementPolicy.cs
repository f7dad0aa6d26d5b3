namespace Kernel.Mem.Replacement;

/// <summary>How a full working set picks the page to give up (FOS'25's three policies).</summary>
public enum ReplacementPolicy
{
    /// <summary>
    /// CLOCK, or second chance: a hand sweeps the working set; a page whose accessed bit is set has the bit
    /// cleared and is passed over, the first page found with it clear is the victim. A page just loaded
    /// counts as accessed (Stallings, Operating Systems, 8.2 "Clock Policy").
    /// </summary>
    Clock,

    /// <summary>
    /// Modified CLOCK (enhanced second chance): prefers a page neither accessed nor dirty, which needs no
    /// write to the page file. From the hand: one sweep for (accessed 0, dirty 0) changing nothing; then one
    /// sweep for (0, 1) clearing the accessed bits it passes; repeated until a victim is found.
    /// </summary>
    ModifiedClock,

    /// <summary>
    /// LRU approximated by aging: at every aging step each page's counter is shifted right and its accessed
    /// bit (then cleared) enters at the top; the victim has the smallest counter (Tanenbaum, Modern Operating
    /// Systems, 3.4.7 "The Aging Algorithm"). Ties go to the first page from the hand.
    /// </summary>
    LruAging,
}
