using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kernel.Mem.Pebble;

// Inside one bucket, under its lock: placing a pebble (fit, alignment, boundary), carving it out of a free pebble,
// freeing, resizing and merging.
public sealed unsafe partial class PebbleAllocator<TMem, TTlb, TLock>
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
    where TLock : struct, IInterruptLock
{
    /// <summary>
    /// With the bucket's lock held: finds a free pebble (first or best fit, per the bucket's policy) where the
    /// data can start on an aligned address without crossing the boundary, and carves it. Returns the new
    /// pebble's header offset, or 0 when none fits.
    /// </summary>
    private static uint PlaceLocked(
        Bucket* bucket, ulong size, ulong capacity, ulong alignment, ulong boundary, PebbleFlags flags,
        ulong name0, ulong name1, uint owner)
    {
        // Alignment and boundary are properties of the addresses a device or the CPU will use: physical ones
        // in a contiguous bucket, virtual ones (page-aligned like their frames) in a virtual bucket.
        ulong placementBase = bucket->IsContiguous ? bucket->PhysicalStart : bucket->Virtual;
        ulong block = Pebble.HeaderBytes + capacity;
        bool bestFit = (bucket->Policy & PebbleFlags.BestFit) != 0;
        uint chosen = 0;
        ulong chosenData = 0;
        ulong chosenSize = ulong.MaxValue;
        uint offset = FirstPebble;
        while (offset != 0)
        {
            Pebble* pebble = At(bucket, offset);
            if (pebble->State == PebbleState.Free && pebble->Size >= block && pebble->Size < chosenSize
                && TryFit(placementBase, offset, pebble->Size, size, capacity, alignment, boundary, out ulong data))
            {
                chosen = offset;
                chosenData = data;
                chosenSize = pebble->Size;
                if (!bestFit)
                {
                    break;
                }
            }
            offset = pebble->Next;
        }
        if (chosen == 0)
        {
            return 0;
        }
        return Carve(bucket, chosen, chosenData, size, capacity, alignment, boundary, flags, name0, name1, owner);
    }

    /// <summary>
    /// Where in the free pebble at <paramref name="offset"/> (block <paramref name="blockSize"/>) the data can
    /// start: on a multiple of <paramref name="alignment"/> and with [start, start + size) inside one
    /// <paramref name="boundary"/> window, both as placement addresses, leaving in front either nothing or a
    /// free pebble of at least the minimum block, and with the capacity inside the pebble.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryFit(
        ulong placementBase, ulong offset, ulong blockSize, ulong size, ulong capacity, ulong alignment, ulong boundary,
        out ulong dataOffset)
    {
        ulong first = offset + Pebble.HeaderBytes;
        ulong data = first;
        // Each step moves forward; three suffice (align, make room for a front pebble, skip to the next window,
        // which is itself aligned or cannot be crossed), the fourth confirms.
        for (int step = 0; step < 4; step++)
        {
            data = MemConstants.AlignUp(placementBase + data, alignment) - placementBase;
            if (data != first && data - first < Pebble.MinimumBlockBytes)
            {
                data = first + Pebble.MinimumBlockBytes;
                continue;
            }
            ulong start = placementBase + data;
            if (MemConstants.CrossesBoundary(start, size, boundary))
            {
                data = MemConstants.AlignDown(start, boundary) + boundary - placementBase;
                continue;
            }
            dataOffset = data;
            return data + capacity <= offset + blockSize;
        }
        dataOffset = 0;
        return false;
    }

    /// <summary>
    /// With the bucket's lock held: splits the free pebble at <paramref name="offset"/> into an optional free
    /// front, the new pebble whose data starts at <paramref name="dataOffset"/>, and a free tail when one of at
    /// least the minimum block is left (a smaller tail stays in the pebble as extra capacity).
    /// </summary>
    private static uint Carve(
        Bucket* bucket, uint offset, ulong dataOffset, ulong size, ulong capacity, ulong alignment, ulong boundary,
        PebbleFlags flags, ulong name0, ulong name1, uint owner)
    {
        Pebble* pebble = At(bucket, offset);
        ulong originalSize = pebble->Size;
        uint header = (uint)(dataOffset - Pebble.HeaderBytes);
        if (header != offset)
        {
            Pebble* placed = At(bucket, header);
            MakeFree(placed, bucket, originalSize - (header - offset), offset, pebble->Next);
            LinkAfter(bucket, pebble, offset, placed, header);
            pebble->Size = header - offset;
            bucket->FreePebbles++;
            pebble = placed;
        }
        ulong block = Pebble.HeaderBytes + capacity;
        if (pebble->Size - block >= Pebble.MinimumBlockBytes)
        {
            uint tailOffset = header + (uint)block;
            Pebble* tail = At(bucket, tailOffset);
            MakeFree(tail, bucket, pebble->Size - block, header, pebble->Next);
            LinkAfter(bucket, pebble, header, tail, tailOffset);
            pebble->Size = block;
            bucket->FreePebbles++;
        }
        pebble->State = PebbleState.InUse;
        pebble->AlignmentShift = (byte)BitOperations.Log2(alignment);
        pebble->BoundaryShiftPlusOne = boundary == 0 ? (byte)0 : (byte)(BitOperations.Log2(boundary) + 1);
        pebble->Owner = owner;
        pebble->RequestFlags = flags;
        pebble->Requested = size;
        pebble->Name0 = name0;
        pebble->Name1 = name1;
        bucket->FreePebbles--;
        bucket->PebblesInUse++;
        bucket->RequestedInUse += size;
        bucket->BlockBytesInUse += pebble->Size;
        if (originalSize >= bucket->LargestFree)
        {
            RecomputeLargestFree(bucket);
        }
        return header;
    }

    /// <summary>
    /// With the bucket's lock held: marks the in-use pebble at <paramref name="offset"/> free and merges it with
    /// free neighbours, erasing the magic of every header a merge absorbs. Returns the merged pebble's offset.
    /// </summary>
    private static uint FreeLocked(Bucket* bucket, uint offset)
    {
        Pebble* pebble = At(bucket, offset);
        bucket->PebblesInUse--;
        bucket->RequestedInUse -= pebble->Requested;
        bucket->BlockBytesInUse -= pebble->Size;
        bucket->FreePebbles++;
        MakeFree(pebble, bucket, pebble->Size, pebble->Previous, pebble->Next);
        if (pebble->Next != 0 && At(bucket, pebble->Next)->State == PebbleState.Free)
        {
            Absorb(bucket, pebble, At(bucket, pebble->Next));
        }
        if (pebble->Previous != 0 && At(bucket, pebble->Previous)->State == PebbleState.Free)
        {
            uint previous = pebble->Previous;
            Absorb(bucket, At(bucket, previous), pebble);
            offset = previous;
            pebble = At(bucket, previous);
        }
        if (pebble->Size > bucket->LargestFree)
        {
            bucket->LargestFree = pebble->Size;
        }
        return offset;
    }

    /// <summary>
    /// With the bucket's lock held: sets the requested size of the in-use pebble at <paramref name="offset"/> to
    /// <paramref name="size"/> (within its capacity) and gives a tail of at least the minimum block back,
    /// merging it with a free successor.
    /// </summary>
    private static void ResizeLocked(Bucket* bucket, uint offset, ulong size)
    {
        Pebble* pebble = At(bucket, offset);
        bucket->RequestedInUse = bucket->RequestedInUse - pebble->Requested + size;
        pebble->Requested = size;
        ulong block = Pebble.HeaderBytes + MemConstants.AlignUp(size, Pebble.Granule);
        if (pebble->Size - block < Pebble.MinimumBlockBytes)
        {
            return;
        }
        uint tailOffset = offset + (uint)block;
        Pebble* tail = At(bucket, tailOffset);
        MakeFree(tail, bucket, pebble->Size - block, offset, pebble->Next);
        LinkAfter(bucket, pebble, offset, tail, tailOffset);
        bucket->BlockBytesInUse -= tail->Size;
        pebble->Size = block;
        bucket->FreePebbles++;
        if (tail->Next != 0 && At(bucket, tail->Next)->State == PebbleState.Free)
        {
            Absorb(bucket, tail, At(bucket, tail->Next));
        }
        if (tail->Size > bucket->LargestFree)
        {
            bucket->LargestFree = tail->Size;
        }
    }

    /// <summary>Writes a free header (magic, size, links; no owner, name or request).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MakeFree(Pebble* pebble, Bucket* bucket, ulong size, uint previous, uint next)
    {
        *pebble = default;
        pebble->Magic = Pebble.ValidMagic;
        pebble->State = PebbleState.Free;
        pebble->Size = size;
        pebble->Previous = previous;
        pebble->Next = next;
        pebble->Bucket = bucket->Virtual;
    }

    /// <summary>Links <paramref name="inserted"/> (its own links already set) after <paramref name="pebble"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LinkAfter(Bucket* bucket, Pebble* pebble, uint offset, Pebble* inserted, uint insertedOffset)
    {
        if (pebble->Next != 0)
        {
            At(bucket, pebble->Next)->Previous = insertedOffset;
        }
        pebble->Next = insertedOffset;
        inserted->Previous = offset;
    }

    /// <summary>Merges the free <paramref name="absorbed"/> into its free predecessor <paramref name="pebble"/> and erases its magic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Absorb(Bucket* bucket, Pebble* pebble, Pebble* absorbed)
    {
        pebble->Size += absorbed->Size;
        pebble->Next = absorbed->Next;
        if (absorbed->Next != 0)
        {
            At(bucket, absorbed->Next)->Previous = absorbed->Previous;
        }
        absorbed->Magic = Pebble.ErasedMagic;
        absorbed->State = 0;
        bucket->FreePebbles--;
    }

    /// <summary>The largest free pebble: only free ones count (the reference counted pebbles in use too).</summary>
    private static void RecomputeLargestFree(Bucket* bucket)
    {
        ulong largest = 0;
        for (uint offset = FirstPebble; offset != 0; offset = At(bucket, offset)->Next)
        {
            Pebble* pebble = At(bucket, offset);
            if (pebble->State == PebbleState.Free && pebble->Size > largest)
            {
                largest = pebble->Size;
            }
        }
        bucket->LargestFree = largest;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Pebble* At(Bucket* bucket, ulong offset) => (Pebble*)((byte*)bucket + offset);
}
