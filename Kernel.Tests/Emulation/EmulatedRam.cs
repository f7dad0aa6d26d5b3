using System;
using System.Runtime.InteropServices;
using Kernel.Mem;

namespace Kernel.Tests.Emulation;

/// <summary>
/// A block of host memory that plays the machine's RAM: physical address <c>p</c> lives at
/// <c>Base + (p - PhysicalStart)</c>. Only the frames the test hands to the memory manager are backed,
/// so an emulated machine "with 5 GiB" can back just the window it uses.
/// </summary>
public sealed unsafe class EmulatedRam : IDisposable
{
    public EmulatedRam(ulong physicalStart, ulong size)
    {
        PhysicalStart = physicalStart;
        Size = size;
        // calloc of a large size is an anonymous mapping: zero-filled and committed only where touched,
        // so a "5 GiB machine" costs only the frames a test really writes.
        Base = (byte*)NativeMemory.AllocZeroed((nuint)size);
    }

    public byte* Base { get; private set; }
    public ulong PhysicalStart { get; }
    public ulong Size { get; }
    public ulong PhysicalEnd => PhysicalStart + Size;

    /// <summary>The seam value to pass to Kernel.Mem generics.</summary>
    public Accessor Memory => new Accessor(Base, PhysicalStart, Size);

    public void Dispose()
    {
        if (Base != null)
        {
            NativeMemory.Free(Base);
            Base = null;
        }
    }

    /// <summary>The struct that implements the seam; it checks every access against the backed window.</summary>
    public readonly struct Accessor : IPhysicalMemory
    {
        private readonly byte* _base;
        private readonly ulong _start;
        private readonly ulong _size;

        public Accessor(byte* @base, ulong start, ulong size)
        {
            _base = @base;
            _start = start;
            _size = size;
        }

        public byte* Access(ulong physical)
        {
            if (physical < _start || physical - _start >= _size)
            {
                throw new InvalidOperationException($"physical access outside emulated RAM: 0x{physical:x16}");
            }
            return _base + (physical - _start);
        }
    }
}
