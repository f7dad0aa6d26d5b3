using System;
using System.Collections.Generic;
using Kernel.Mem;
using Kernel.Mem.Replacement;
using Kernel.Tests.Emulation;

namespace Kernel.Tests.Mem.Replacement;

/// <summary>
/// A page file in host memory for the tests: a fixed number of slots, each a 4 KiB byte array, read and written
/// through the emulated RAM's frames; it refuses double frees and transfers to slots not allocated, can be
/// told to fail the next transfer, and counts everything. A struct wrapper shares one instance (the seam is
/// struct-constrained).
/// </summary>
internal sealed unsafe class MemoryPageStore
{
    private readonly EmulatedRam _ram;
    private readonly byte[][] _slots;
    private readonly bool[] _allocated;

    public MemoryPageStore(EmulatedRam ram, int slots)
    {
        _ram = ram;
        _slots = new byte[slots][];
        _allocated = new bool[slots];
    }

    public int SlotsInUse { get; private set; }

    public int Writes { get; private set; }

    public int Reads { get; private set; }

    /// <summary>When set, the next write or read fails with a device error.</summary>
    public bool FailNextTransfer { get; set; }

    public Seam AsSeam => new Seam(this);

    public byte[] Contents(ulong slot) => _slots[slot];

    public readonly struct Seam : IPageStore
    {
        private readonly MemoryPageStore _store;

        public Seam(MemoryPageStore store) => _store = store;

        public bool IsPresent => true;

        public bool IsNearlyFull => _store.SlotsInUse * 2 >= _store._allocated.Length;

        public bool TryAllocateSlot(out ulong slot)
        {
            for (int i = 0; i < _store._allocated.Length; i++)
            {
                if (!_store._allocated[i])
                {
                    _store._allocated[i] = true;
                    _store.SlotsInUse++;
                    slot = (ulong)i;
                    return true;
                }
            }
            slot = 0;
            return false;
        }

        public void FreeSlot(ulong slot)
        {
            if (!_store._allocated[slot])
            {
                throw new InvalidOperationException($"double free of page-file slot {slot}");
            }
            _store._allocated[slot] = false;
            _store._slots[slot] = null;
            _store.SlotsInUse--;
        }

        public PageStoreStatus Write(ulong slot, ulong frame)
        {
            if (!_store._allocated[slot])
            {
                throw new InvalidOperationException($"write to page-file slot {slot}, which is not allocated");
            }
            if (_store.FailNextTransfer)
            {
                _store.FailNextTransfer = false;
                return PageStoreStatus.DeviceError;
            }
            _store._slots[slot] = new ReadOnlySpan<byte>(_store._ram.Memory.Access(frame), (int)MemConstants.PageSize).ToArray();
            _store.Writes++;
            return PageStoreStatus.Ok;
        }

        public PageStoreStatus Read(ulong slot, ulong frame)
        {
            if (!_store._allocated[slot] || _store._slots[slot] == null)
            {
                throw new InvalidOperationException($"read of page-file slot {slot}, which holds no page");
            }
            if (_store.FailNextTransfer)
            {
                _store.FailNextTransfer = false;
                return PageStoreStatus.DeviceError;
            }
            _store._slots[slot].CopyTo(new Span<byte>(_store._ram.Memory.Access(frame), (int)MemConstants.PageSize));
            _store.Reads++;
            return PageStoreStatus.Ok;
        }
    }
}
