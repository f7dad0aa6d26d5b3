using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Kernel.Mem;

namespace Kernel.Tests.Mem.Pebble;

/// <summary>
/// An <see cref="IInterruptLock"/> that checks the locking discipline as it goes: the heap lock is never
/// requested while a bucket lock is held, a lock is never taken twice, interrupts (emulated) stay disabled
/// while any lock is held and are restored afterwards, and the number of buckets changes only while the heap
/// lock is held. Violations are collected in the shared <see cref="Log"/>.
/// </summary>
public readonly unsafe struct RecordingInterruptLock : IInterruptLock
{
    private readonly Log _log;

    public RecordingInterruptLock(Log log) => _log = log;

    public ulong CurrentHolder => (ulong)Environment.CurrentManagedThreadId;

    public ulong Acquire(ref uint word) => _log.Acquire((ulong)Unsafe.AsPointer(ref word), ref word);

    public void Release(ref uint word, ulong state) => _log.Release((ulong)Unsafe.AsPointer(ref word), ref word, state);

    public void AcquireNested(ref uint word) => _log.AcquireNested((ulong)Unsafe.AsPointer(ref word), ref word);

    public void ReleaseNested(ref uint word) => _log.ReleaseNested((ulong)Unsafe.AsPointer(ref word), ref word);

    public sealed class Log
    {
        private bool _interruptsEnabled = true;
        private int _heapHeld;
        private int _bucketsHeld;
        private int _lastBucketCount;

        /// <summary>Tells bucket lock words (inside bucket memory) from the heap lock word (in the allocator object).</summary>
        public Func<ulong, bool> IsBucketWord { get; set; } = _ => false;

        /// <summary>Reads the allocator's bucket count.</summary>
        public Func<int> BucketCount { get; set; } = () => 0;

        public List<string> Violations { get; } = new List<string>();

        public int HeapAcquisitions { get; private set; }

        public int BucketAcquisitions { get; private set; }

        /// <summary>Bucket-count decreases seen, each while the heap lock was held.</summary>
        public int RemovalsUnderHeapLock { get; private set; }

        public int CreationsUnderHeapLock { get; private set; }

        public ulong Acquire(ulong address, ref uint word)
        {
            ulong state = _interruptsEnabled ? 1UL : 0UL;
            Take(address, ref word);
            return state;
        }

        /// <summary>A lock taken inside another: interrupts must be off already, and stay so.</summary>
        public void AcquireNested(ulong address, ref uint word)
        {
            if (_interruptsEnabled)
            {
                Violations.Add($"nested acquire of 0x{address:x16} with interrupts enabled");
            }
            Take(address, ref word);
        }

        public void ReleaseNested(ulong address, ref uint word)
        {
            ulong state = _interruptsEnabled ? 1UL : 0UL;
            Release(address, ref word, state);
        }

        private void Take(ulong address, ref uint word)
        {
            Observe();
            bool bucket = IsBucketWord(address);
            if (!bucket && _bucketsHeld > 0)
            {
                Violations.Add("heap lock requested while a bucket lock is held");
            }
            if (word != 0)
            {
                Violations.Add($"lock at 0x{address:x16} taken twice");
            }
            word = 1;
            _interruptsEnabled = false;
            if (bucket)
            {
                _bucketsHeld++;
                BucketAcquisitions++;
            }
            else
            {
                _heapHeld++;
                HeapAcquisitions++;
            }
        }

        public void Release(ulong address, ref uint word, ulong state)
        {
            Observe();
            if (word != 1)
            {
                Violations.Add($"release of the free lock at 0x{address:x16}");
            }
            word = 0;
            if (IsBucketWord(address))
            {
                _bucketsHeld--;
            }
            else
            {
                _heapHeld--;
            }
            _interruptsEnabled = state != 0;
            if (_interruptsEnabled && _heapHeld + _bucketsHeld > 0)
            {
                Violations.Add("interrupts enabled while a lock is held");
            }
        }

        /// <summary>Called by the test after each allocator operation.</summary>
        public void AfterOperation()
        {
            Observe();
            if (_heapHeld != 0 || _bucketsHeld != 0)
            {
                Violations.Add("a lock is still held after the operation");
            }
            if (!_interruptsEnabled)
            {
                Violations.Add("interrupts left disabled after the operation");
            }
        }

        private void Observe()
        {
            int count = BucketCount();
            if (count != _lastBucketCount)
            {
                if (_heapHeld == 0)
                {
                    Violations.Add($"bucket list changed from {_lastBucketCount} to {count} buckets without the heap lock");
                }
                else if (count < _lastBucketCount)
                {
                    RemovalsUnderHeapLock++;
                }
                else
                {
                    CreationsUnderHeapLock++;
                }
                _lastBucketCount = count;
            }
        }
    }
}
