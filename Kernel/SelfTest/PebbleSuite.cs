using Kernel.Arch;
using Kernel.Mem;
using Kernel.Mem.Pebble;
using Kernel.Memory;

namespace Kernel.SelfTest
{
    /// <summary>
    /// The bucket/pebble allocator on real frames: every constraint checked on physical addresses (below
    /// 16 MiB, below 4 GiB, contiguity, alignment, a 64 KiB boundary), virtual buckets really mapped,
    /// realloc, double and foreign frees, release by owner, and no frame leaked at the end.
    /// </summary>
    internal sealed unsafe class PebbleSuite : SelfTestSuite
    {
        private const uint TestOwner = 0x7E57;
        private const ulong IsaBoundary = 64 * MemConstants.KiB;

        public override string Name => "pebble";

        public override void Run(TestContext test)
        {
            PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> pebbles = MemoryManager.Pebbles;
            ulong freeFramesBefore = MemoryManager.Frames.FreeFrames;
            PebbleStatistics before = pebbles.GetStatistics();

            // ISA DMA shape: 16 KiB below 16 MiB, physically contiguous, not crossing 64 KiB.
            byte* isa = (byte*)pebbles.Allocate(16 * MemConstants.KiB, 0, IsaBoundary, PebbleFlags.Below16MiB | PebbleFlags.Physical | PebbleFlags.Clear, "selftest-isa", TestOwner);
            ulong isaPhysical = pebbles.PhysicalAddress(isa);
            test.Check(isa != null && isaPhysical + 16 * MemConstants.KiB <= 16 * MemConstants.MiB, "below_16_mib_on_the_physical_address", "buffer missing or above 16 MiB");
            test.Check(isa != null && isaPhysical / IsaBoundary == (isaPhysical + 16 * MemConstants.KiB - 1) / IsaBoundary, "does_not_cross_a_64_kib_boundary", "buffer crosses a 64 KiB line");
            test.Check(isa != null && IsContiguous(pebbles, isa, 16 * MemConstants.KiB) && IsZero(isa, 16 * MemConstants.KiB), "physical_pebble_is_contiguous_and_cleared", "pages not consecutive in physical memory, or not zeroed");

            byte* hw32 = (byte*)pebbles.Allocate(200 * MemConstants.KiB, 0, 0, PebbleFlags.Hardware32, "selftest-hw32", TestOwner);
            ulong hw32Physical = pebbles.PhysicalAddress(hw32);
            test.Check(hw32 != null && hw32Physical + 200 * MemConstants.KiB <= 4 * MemConstants.GiB && IsContiguous(pebbles, hw32, 200 * MemConstants.KiB), "hardware32_is_below_4_gib_and_contiguous", "HARDWARE32 buffer above 4 GiB or not contiguous");

            byte* aligned = (byte*)pebbles.Allocate(4 * MemConstants.KiB, MemConstants.MiB, 0, PebbleFlags.Hardware64 | PebbleFlags.Aligned, "selftest-align", TestOwner);
            test.Check(aligned != null && MemConstants.IsAligned(pebbles.PhysicalAddress(aligned), MemConstants.MiB), "one_mib_alignment_on_the_physical_address", "not 1 MiB aligned");

            byte* virt = (byte*)pebbles.Allocate(100 * MemConstants.KiB, 0, 0, PebbleFlags.Virtual | PebbleFlags.Clear, "selftest-virt", TestOwner);
            bool mapped = virt != null && IsZero(virt, 100 * MemConstants.KiB);
            if (mapped)
            {
                for (ulong i = 0; i < 100 * MemConstants.KiB; i += MemConstants.PageSize)
                {
                    virt[i] = (byte)(i >> 12);
                    mapped &= FaultProbe.TryRead((ulong)(virt + i), out byte value) && value == (byte)(i >> 12);
                }
            }
            test.Check(mapped, "virtual_pebble_is_mapped_and_writable", "virtual bucket pages not usable");

            for (int i = 0; i < 64; i++)
            {
                isa[i] = (byte)(i * 3);
            }
            byte* grown = (byte*)pebbles.Reallocate(isa, 40 * MemConstants.KiB);
            bool kept = grown != null;
            for (int i = 0; kept && i < 64; i++)
            {
                kept = grown[i] == (byte)(i * 3);
            }
            test.Check(kept, "realloc_grows_by_moving_and_keeps_contents", "contents lost on growth");
            if (grown != null)
            {
                isa = grown;
            }

            PebbleStatistics middle = pebbles.GetStatistics();
            byte* victim = (byte*)pebbles.Allocate(256, 0, 0, PebbleFlags.Hardware64, "selftest-victim", TestOwner);
            test.Check(pebbles.Free(victim) == PebbleStatus.Ok, "free_returns_ok", "first free failed");
            test.Check(pebbles.Free(victim) == PebbleStatus.DoubleFree, "double_free_is_detected_after_merge", "second free not reported as a double free");
            ulong foreign = 0;
            test.Check(pebbles.Free(&foreign) == PebbleStatus.ForeignPointer, "foreign_pointer_is_rejected", "a stack address was not rejected");
            test.Check(pebbles.Verify(), "allocator_invariants_hold", "Verify() found an inconsistency");

            int released = pebbles.FreeOwnedBy(TestOwner);
            test.CheckEqual(4, (ulong)released, "free_owned_by_releases_every_pebble_of_the_owner");
            PebbleStatistics after = pebbles.GetStatistics();
            test.CheckEqual((ulong)before.Buckets, (ulong)after.Buckets, "empty_buckets_are_released");
            test.CheckEqual(before.PebblesInUse, after.PebblesInUse, "no_pebble_left_in_use");
            test.CheckEqual(freeFramesBefore, MemoryManager.Frames.FreeFrames, "no_frame_leaked");
            test.Check(middle.Allocations > before.Allocations, "statistics_count_calls", "allocation counter did not move");
        }

        private static bool IsContiguous(PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> pebbles, byte* start, ulong size)
        {
            ulong first = pebbles.PhysicalAddress(start);
            for (ulong offset = 0; offset < size; offset += MemConstants.PageSize)
            {
                if (pebbles.PhysicalAddress(start + offset) != first + offset)
                {
                    return false;
                }
                // The direct map is the ground truth for where a physical byte lives.
                if (PhysicalMemory.ToVirtual(first + offset) != (ulong)(start + offset))
                {
                    return false;
                }
            }
            return true;
        }

        private static bool IsZero(byte* start, ulong size)
        {
            for (ulong i = 0; i < size; i++)
            {
                if (start[i] != 0)
                {
                    return false;
                }
            }
            return true;
        }
    }
}
