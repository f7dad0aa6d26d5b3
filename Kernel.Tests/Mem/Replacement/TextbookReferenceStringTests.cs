using Kernel.Mem.Replacement;
using Xunit;

namespace Kernel.Tests.Mem.Replacement;

/// <summary>
/// The three policies against reference strings whose fault counts textbooks print. Every reference is a read,
/// and for LRU aging one aging step follows every reference, which makes aging with 32-bit counters behave
/// exactly as LRU on strings this short (no two resident pages can share a counter).
/// </summary>
public sealed class TextbookReferenceStringTests
{
    // Silberschatz, Galvin, Gagne, Operating System Concepts, 10th ed., 10.4 (the 20-reference string of
    // Figures 10.12-10.16): with 3 frames FIFO takes 15 faults, OPT 9, LRU 12.
    private static readonly int[] s_silberschatz = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };

    // Stallings, Operating Systems: Internals and Design Principles, 8.2, Figure "Behavior of four page
    // replacement algorithms": page address stream 2 3 2 1 5 2 4 5 3 2 5 2 with 3 frames; after the frames
    // fill, OPT takes 3 faults, LRU 4, FIFO 6, CLOCK 5.
    private static readonly int[] s_stallings = { 2, 3, 2, 1, 5, 2, 4, 5, 3, 2, 5, 2 };

    // Belady's string (Silberschatz 10.4.2): FIFO takes 9 faults with 3 frames and 10 with 4, the anomaly.
    private static readonly int[] s_belady = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };

    private static ReplacementModel Replay(int[] references, int frames, ReplacementPolicy policy)
    {
        var model = new ReplacementModel(10, frames, policy, ageEveryReference: policy == ReplacementPolicy.LruAging);
        model.ReferenceAll(references, write: false);
        return model;
    }

    [Fact]
    public void Lru_aging_takes_the_12_faults_of_lru_on_silberschatzs_string_with_3_frames()
    {
        Assert.Equal(12UL, Replay(s_silberschatz, 3, ReplacementPolicy.LruAging).Faults);
    }

    [Fact]
    public void Lru_aging_takes_4_faults_after_the_fill_on_stallings_stream_as_lru_does()
    {
        Assert.Equal(3UL + 4, Replay(s_stallings, 3, ReplacementPolicy.LruAging).Faults);
    }

    [Fact]
    public void Clock_takes_5_faults_after_the_fill_on_stallings_stream()
    {
        Assert.Equal(3UL + 5, Replay(s_stallings, 3, ReplacementPolicy.Clock).Faults);
    }

    [Fact]
    public void Lru_aging_is_a_stack_algorithm_on_beladys_string_10_faults_with_3_frames_8_with_4()
    {
        // LRU never suffers Belady's anomaly (Silberschatz 10.4.4): more frames, no more faults.
        Assert.Equal(10UL, Replay(s_belady, 3, ReplacementPolicy.LruAging).Faults);
        Assert.Equal(8UL, Replay(s_belady, 4, ReplacementPolicy.LruAging).Faults);
    }

    [Fact]
    public void Clock_shows_beladys_anomaly_on_beladys_string_9_faults_with_3_frames_10_with_4()
    {
        // Traced by hand (use bit set on load, hand past the replaced frame). With 3 frames every fault finds
        // all three bits set (each page was loaded or re-referenced since the last sweep), so the sweep clears
        // them and takes the frame under the hand: FIFO's order, FIFO's 9 faults. With 4 frames likewise: 10.
        Assert.Equal(9UL, Replay(s_belady, 3, ReplacementPolicy.Clock).Faults);
        Assert.Equal(10UL, Replay(s_belady, 4, ReplacementPolicy.Clock).Faults);
    }

    [Fact]
    public void Clock_takes_14_faults_on_silberschatzs_string_with_3_frames()
    {
        // Hand trace, frames [a b c] with use bits, hand at *:
        // 7 0 1 fill (3 faults) -> *7' 0' 1'; 2: clears all, replaces 7 -> 2' *0 1 (4)
        // 0 hit -> 0'; 3: 0' cleared, 1 taken -> 2' 0 3' * (5), hand wraps to 2'
        // 0 hit -> 0'; 4: 2' cleared, 0' cleared, 3' cleared, 2 taken -> 4' *0 3 (6)
        // 2: 0 taken -> 4' 2' *3 (7); 3 hit -> 3'; 0: 3' cleared, 4' cleared, 2' cleared, 3 taken -> 4 2 0' * (8)
        // 3: 4 taken -> 3' *2 0' (9); 0 hit; 3 hit; 2 hit -> 2'; 1: 2' cleared, 0' cleared, 3' cleared, 2 taken
        // -> 3 1' *0 (10); 2: 0 taken -> *3 1' 2' (11); 0: 3 taken -> 0' *1' 2' (12); 1 hit;
        // 7: 1' 2' 0' cleared, 1 taken -> 0 7' *2 (13); 0 hit -> 0'; 1: 2 taken -> *0' 7' 1' (14).
        Assert.Equal(14UL, Replay(s_silberschatz, 3, ReplacementPolicy.Clock).Faults);
    }

    [Fact]
    public void Every_policy_faults_exactly_once_per_distinct_page_when_they_all_fit()
    {
        foreach (ReplacementPolicy policy in new[] { ReplacementPolicy.Clock, ReplacementPolicy.ModifiedClock, ReplacementPolicy.LruAging })
        {
            ReplacementModel model = Replay(s_silberschatz, 6, policy);
            Assert.Equal(6UL, model.Faults);
            Assert.Equal(0UL, model.PageOuts + model.PageIns + model.WritesAvoided);
        }
    }

    [Fact]
    public void Modified_clock_evicts_a_clean_page_before_a_dirty_one()
    {
        // Pages 0 and 1 written, 2 read, then a fourth page with 3 frames: (0,0) is only page 2 once the
        // accessed bits are cleared, so modified CLOCK gives up 2 (no write) where CLOCK gives up 0 (a write).
        var clock = new ReplacementModel(4, 3, ReplacementPolicy.Clock, false);
        var modified = new ReplacementModel(4, 3, ReplacementPolicy.ModifiedClock, false);
        foreach (ReplacementModel model in new[] { clock, modified })
        {
            model.Reference(0, true);
            model.Reference(1, true);
            model.Reference(2, false);
            model.Reference(3, false);
        }
        Assert.False(clock.IsResident(0));
        Assert.Equal(1UL, clock.PageOuts);
        Assert.False(modified.IsResident(2));
        Assert.True(modified.IsResident(0) && modified.IsResident(1));
        Assert.Equal(1UL, modified.PageOuts);
    }

    [Fact]
    public void A_clean_page_with_a_copy_is_dropped_without_a_write()
    {
        // 0 written and evicted (a write), read back (a page-in), evicted again unchanged: no second write.
        var model = new ReplacementModel(3, 1, ReplacementPolicy.Clock, false);
        model.Reference(0, true);
        model.Reference(1, false);
        model.Reference(0, false);
        model.Reference(2, false);
        Assert.Equal(4UL, model.Faults);
        Assert.Equal(1UL, model.PageIns);
        Assert.Equal(2UL, model.PageOuts);
        Assert.Equal(1UL, model.WritesAvoided);
        Assert.Equal(2UL, model.SlotsInUse);
    }
}
