using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.Pebble;
using Kernel.Mem.Physical;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Heap;
using Kernel.Tests.Mem.Physical;

namespace Kernel.Tests.Mem.Pebble;

/// <summary>The pebble machines the tests share, all on <see cref="PhysicalMachine.ThreeZones"/>.</summary>
public static class PebbleMachine
{
    /// <summary>A pebble allocator on RAM in all three zones, with the host's interrupt lock.</summary>
    public static PebbleMachine<HostInterruptLock> ThreeZones() => new(PhysicalMachine.ThreeZones(), default);

    /// <summary>
    /// The same machine with locks that check the locking discipline into <paramref name="log"/>: bucket lock
    /// words told apart by <see cref="PebbleMachine{TLock}.IsMachineAddress"/>, the bucket count read from the allocator.
    /// </summary>
    public static PebbleMachine<RecordingInterruptLock> ThreeZonesRecordingLocks(out RecordingInterruptLock.Log log)
    {
        var locks = new RecordingInterruptLock.Log();
        var machine = new PebbleMachine<RecordingInterruptLock>(PhysicalMachine.ThreeZones(), new RecordingInterruptLock(locks));
        locks.IsBucketWord = machine.IsMachineAddress;
        locks.BucketCount = () => machine.Allocator.BucketCount;
        log = locks;
        return machine;
    }
}

/// <summary>
/// A pebble allocator on an emulated machine: the frame allocator of a <see cref="PhysicalMachine"/> (by
/// default RAM in all three zones, up to 4 GiB + 8 MiB), the real mapper with its tables in emulated RAM, and a
/// host buffer as the virtual range of virtual buckets. Contiguous buckets are reached through the emulated
/// RAM's pointers, so their virtual addresses are host addresses and never equal their physical ones.
/// </summary>
public sealed unsafe class PebbleMachine<TLock> : IDisposable
    where TLock : struct, IInterruptLock
{
    /// <param name="supportedFeatures">The CPU's feature-dependent leaf flags (see <see cref="PageTableEntry.FeatureFlagsMask"/>); all by default.</param>
    public PebbleMachine(PhysicalMachine physical, TLock locks, ulong virtualSize = 32 * MemConstants.MiB,
        PageFlags supportedFeatures = (PageFlags)PageTableEntry.FeatureFlagsMask)
    {
        Physical = physical;
        TlbLog = new RecordingTlb.Log();
        if (Mapper<EmulatedRam.Accessor, RecordingTlb>.CreateRootTable(physical.Ram.Memory, physical.Frames, out ulong root) != PagingStatus.Success)
        {
            throw new InvalidOperationException("no frame for the root table");
        }
        Mapper = new Mapper<EmulatedRam.Accessor, RecordingTlb>(physical.Ram.Memory, new RecordingTlb(TlbLog), physical.Frames, root, supportedFeatures);
        Range = new HostRange(virtualSize);
        Allocator = new PebbleAllocator<EmulatedRam.Accessor, RecordingTlb, TLock>(
            physical.Frames, physical.Ram.Memory, locks, Mapper, Range.Start, Range.Size);
        BaselineFreeFrames = physical.Frames.FreeFrames;
    }

    public PhysicalMachine Physical { get; }
    public FrameAllocator<EmulatedRam.Accessor> Frames => Physical.Frames;
    public RecordingTlb.Log TlbLog { get; }
    public Mapper<EmulatedRam.Accessor, RecordingTlb> Mapper { get; }
    public HostRange Range { get; }
    public PebbleAllocator<EmulatedRam.Accessor, RecordingTlb, TLock> Allocator { get; }

    /// <summary>Free frames with nothing allocated (after the root table).</summary>
    public ulong BaselineFreeFrames { get; }

    /// <summary>Whether a host address lies in emulated RAM or the virtual range: where bucket memory lives.</summary>
    public bool IsMachineAddress(ulong address)
        => (address >= (ulong)Physical.Ram.Base && address - (ulong)Physical.Ram.Base < Physical.Ram.Size)
            || (address >= Range.Start && address < Range.End);

    /// <summary>The owner of what <see cref="Allocate"/>, <see cref="Free"/> and <see cref="Reallocate"/> handle unless told.</summary>
    public const uint DefaultOwner = 0;

    public byte* Allocate(ulong size, ulong alignment = 0, ulong boundary = 0, PebbleFlags flags = PebbleFlags.None, string name = "test", uint owner = DefaultOwner)
        => (byte*)Allocator.Allocate(size, alignment, boundary, flags, name, owner);

    public PebbleStatus Free(void* pointer, uint owner = DefaultOwner) => Allocator.Free(pointer, owner);

    public byte* Reallocate(void* pointer, ulong size, uint owner = DefaultOwner) => (byte*)Allocator.Reallocate(pointer, size, owner);

    public List<BucketInfo> Buckets()
    {
        var buckets = new List<BucketInfo>();
        ulong cursor = 0;
        while (Allocator.NextBucket(ref cursor, out BucketInfo info))
        {
            buckets.Add(info);
        }
        return buckets;
    }

    public List<PebbleInfo> Pebbles()
    {
        var pebbles = new List<PebbleInfo>();
        ulong cursor = 0;
        while (Allocator.NextPebble(ref cursor, out PebbleInfo info))
        {
            pebbles.Add(info);
        }
        return pebbles;
    }

    /// <summary>The dump line of the pebble whose data starts at <paramref name="pointer"/>.</summary>
    public PebbleInfo Info(void* pointer)
    {
        foreach (PebbleInfo info in Pebbles())
        {
            if (info.VirtualStart == (ulong)pointer)
            {
                return info;
            }
        }
        throw new InvalidOperationException($"no pebble at 0x{(ulong)pointer:x16}");
    }

    public static string Name(PebbleInfo info)
    {
        Span<char> name = stackalloc char[Kernel.Mem.Pebble.Pebble.NameBytes];
        return new string(name[..info.CopyName(name)]);
    }

    public void Dispose()
    {
        Range.Dispose();
        Physical.Dispose();
    }
}
