using System.Runtime.CompilerServices;

namespace Kernel.Mem.Pebble;

// Pointer validation: which bucket and in-use pebble a caller's pointer names, and the counters of rejected
// pointers.
public sealed unsafe partial class PebbleAllocator<TMem, TTlb, TLock>
    where TMem : struct, IPhysicalMemory
    where TTlb : struct, ITlb
    where TLock : struct, IInterruptLock
{
    /// <summary>
    /// With the heap lock held: finds the in-use pebble whose data starts at <paramref name="address"/>. On
    /// <see cref="PebbleStatus.Ok"/> the bucket's lock is held; on any other status no bucket lock is held.
    /// </summary>
    private PebbleStatus Locate(ulong address, out Bucket* bucket, out uint header)
    {
        header = 0;
        bucket = FindBucket(address);
        if (bucket == null)
        {
            return PebbleStatus.ForeignPointer;
        }
        if (bucket->Magic != Bucket.ValidMagic || bucket->Virtual != (ulong)bucket)
        {
            return PebbleStatus.Corrupted;
        }
        _lock.AcquireNested(ref bucket->Lock);
        PebbleStatus status = Classify(bucket, address - (ulong)bucket, out header);
        if (status != PebbleStatus.Ok)
        {
            _lock.ReleaseNested(ref bucket->Lock);
        }
        return status;
    }

    /// <summary>
    /// <see cref="Locate"/>, then <see cref="PebbleStatus.NotOwner"/> (no bucket lock held) when the pebble is
    /// not <paramref name="owner"/>'s.
    /// </summary>
    private PebbleStatus LocateOwned(ulong address, uint owner, out Bucket* bucket, out uint header)
    {
        PebbleStatus status = Locate(address, out bucket, out header);
        if (status == PebbleStatus.Ok && At(bucket, header)->Owner != owner)
        {
            _lock.ReleaseNested(ref bucket->Lock);
            return PebbleStatus.NotOwner;
        }
        return status;
    }

    /// <summary>
    /// With the bucket's lock held: whether <paramref name="dataOffset"/> starts an in-use pebble. The fast
    /// check trusts a header only if its magic, bucket and both neighbours' links agree; anything else is judged
    /// by walking the list to the pebble that holds the offset, so a pointer into free memory is a double free
    /// whether or not its old header survived a merge.
    /// </summary>
    private static PebbleStatus Classify(Bucket* bucket, ulong dataOffset, out uint header)
    {
        header = 0;
        if (dataOffset < FirstPebble + Pebble.HeaderBytes || (dataOffset & GranuleMask) != 0)
        {
            return PebbleStatus.InvalidPointer;
        }
        uint candidate = (uint)(dataOffset - Pebble.HeaderBytes);
        Pebble* pebble = At(bucket, candidate);
        if (pebble->Magic == Pebble.ValidMagic && pebble->Bucket == bucket->Virtual && IsLinked(bucket, candidate, pebble))
        {
            if (pebble->State == PebbleState.InUse)
            {
                header = candidate;
                return PebbleStatus.Ok;
            }
            if (pebble->State == PebbleState.Free)
            {
                return PebbleStatus.DoubleFree;
            }
        }

        ulong bytes = bucket->Bytes;
        uint offset = FirstPebble;
        for (ulong steps = 0; offset != 0 && steps <= bytes / Pebble.MinimumBlockBytes; steps++)
        {
            Pebble* walked = At(bucket, offset);
            if (walked->Magic != Pebble.ValidMagic || walked->Size < Pebble.MinimumBlockBytes || walked->Size > bytes - offset)
            {
                return PebbleStatus.Corrupted;
            }
            if (candidate >= offset && candidate - offset < walked->Size)
            {
                if (walked->State == PebbleState.Free)
                {
                    return PebbleStatus.DoubleFree;
                }
                return offset == candidate ? PebbleStatus.Corrupted : PebbleStatus.InvalidPointer;
            }
            offset = walked->Next;
        }
        return PebbleStatus.Corrupted;
    }

    /// <summary>Whether the header at <paramref name="offset"/> is consistent with its neighbours; reads only inside the bucket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsLinked(Bucket* bucket, uint offset, Pebble* pebble)
    {
        ulong bytes = bucket->Bytes;
        ulong size = pebble->Size;
        if (size < Pebble.MinimumBlockBytes || size > bytes - offset || (size & GranuleMask) != 0)
        {
            return false;
        }
        uint previous = pebble->Previous;
        if (previous == 0)
        {
            if (offset != FirstPebble)
            {
                return false;
            }
        }
        else if (previous < FirstPebble || previous >= offset || (previous & GranuleMask) != 0
            || At(bucket, previous)->Next != offset)
        {
            return false;
        }
        uint next = pebble->Next;
        if (next == 0)
        {
            return offset + size == bytes;
        }
        return next == offset + size && At(bucket, next)->Previous == offset;
    }

    private void CountRejection(PebbleStatus status)
    {
        switch (status)
        {
            case PebbleStatus.DoubleFree:
                _doubleFrees++;
                break;
            case PebbleStatus.ForeignPointer:
                _foreignPointers++;
                break;
            case PebbleStatus.InvalidPointer:
                _invalidPointers++;
                break;
            case PebbleStatus.NotOwner:
                _notOwner++;
                break;
            default:
                _corruptions++;
                break;
        }
    }
}
