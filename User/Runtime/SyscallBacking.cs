using Kernel.Abi;
using Kernel.Mem.Heap;

namespace UserRuntime;

/// <summary>
/// What backs a program's heap: FOS's two system calls. Commit reserves the pages (allocate_user_mem: no
/// frame is taken until a page is touched, then the page-fault handler backs it); decommit releases them
/// (free_user_mem: the frames of touched pages go back). The heap's allocators are the kernel's own
/// (Kernel.Mem/Heap); only this seam differs.
/// </summary>
public readonly struct SyscallBacking : IPageBacking
{
    public bool Commit(ulong virtualAddress, ulong pageCount) =>
        Sys.Raw((long)SyscallNumber.AllocateUserMemory, (long)virtualAddress, (long)(pageCount << Kernel.Mem.MemConstants.PageShift)) == 0;

    public void Decommit(ulong virtualAddress, ulong pageCount) =>
        Sys.Raw((long)SyscallNumber.FreeUserMemory, (long)virtualAddress, (long)(pageCount << Kernel.Mem.MemConstants.PageShift));
}
