using System;
using System.Runtime.InteropServices;
using Kernel.Mem;

namespace Kernel.Tests.Mem.Heap;

/// <summary>
/// Page-aligned, zeroed host memory that plays a virtual range of the heap, so what the heap hands out
/// can be dereferenced. Large ranges cost only the pages that are touched.
/// </summary>
public sealed unsafe class HostRange : IDisposable
{
    private void* _allocation;

    public HostRange(ulong size)
    {
        Size = size;
        _allocation = NativeMemory.AllocZeroed((nuint)(size + MemConstants.PageSize));
        Start = MemConstants.AlignUp((ulong)_allocation, MemConstants.PageSize);
    }

    public ulong Start { get; }
    public ulong Size { get; }
    public ulong End => Start + Size;

    public void Dispose()
    {
        if (_allocation != null)
        {
            NativeMemory.Free(_allocation);
            _allocation = null;
        }
    }
}
