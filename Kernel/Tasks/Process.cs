using Kernel.Mem.User;
using Kernel.Memory;
using Kernel.Tasks;

namespace Kernel.Tasks;

/// <summary>
/// A running program (or a kernel task such as the shell, which has no address space): its pid, name,
/// parent, address space and thread, and once it has ended, how: an exit status, or the signal and the
/// reason it was killed for. The record outlives the program until its parent collects it (wait4, or the
/// shell's own bookkeeping), then every byte of it goes back to the kernel heap.
/// </summary>
internal sealed unsafe class Process
{
    /// <summary>Room for a kill reason such as "write to a kernel address 0x... at rip 0x...".</summary>
    public const int ReasonCapacity = 240;

    private readonly byte[] _reason = new byte[ReasonCapacity];
    private int _reasonLength;

    public Process(int pid, string name, Process parent)
    {
        Pid = pid;
        Name = name;
        Parent = parent;
    }

    public int Pid { get; }

    /// <summary>The program's name, owned by this record (freed with it).</summary>
    public string Name { get; }

    public Process Parent { get; set; }

    public ProcessState State { get; set; }

    /// <summary>The user address space; null for a kernel task, and once the process has ended.</summary>
    public UserAddressSpace<KernelPhysicalMemory, KernelTlb> AddressSpace { get; set; }

    /// <summary>The process's thread; null once it has ended.</summary>
    public Thread Thread { get; set; }

    public bool IsKernelTask { get; set; }

    /// <summary>The program's ELF image (a boot module, never freed), for naming addresses from its symbols.</summary>
    public byte* Image { get; set; }

    public ulong ImageSize { get; set; }

    /// <summary>Set when someone asked for this process's end (kill, Ctrl-C): it ends on its next way back to ring 3.</summary>
    public bool KillRequested { get; set; }

    /// <summary>The signal that ended (or will end) it; 0 for a normal exit.</summary>
    public int Signal { get; set; }

    public int ExitStatus { get; set; }

    /// <summary>Ring-3 page faults taken (resolved or fatal).</summary>
    public ulong PageFaults { get; set; }

    /// <summary>Its paging figures as they were when it ended (the address space is gone by then).</summary>
    public PagingCounters FinalPaging { get; set; }

    /// <summary>Aging steps its working set has taken (LRU aging: one per tick that found it in ring 3).</summary>
    public ulong AgingSteps { get; set; }

    /// <summary>Ticks run, kept when the thread is gone.</summary>
    public ulong Ticks { get; set; }

    /// <summary>The next record in <see cref="ProcessTable"/>'s list.</summary>
    public Process NextInTable { get; set; }

    public bool HasReason => _reasonLength > 0;

    /// <summary>Writes the kill reason (ASCII) to the console.</summary>
    public void WriteReason()
    {
        for (int i = 0; i < _reasonLength; i++)
        {
            Drivers.Console.Write((char)_reason[i]);
        }
    }

    /// <summary>The reason's bytes, for building it (see <see cref="ReasonBuilder"/>).</summary>
    public ReasonBuilder BeginReason()
    {
        _reasonLength = 0;
        return new ReasonBuilder(this);
    }

    /// <summary>Appends to the reason; text beyond <see cref="ReasonCapacity"/> is dropped.</summary>
    public void AppendReason(char c)
    {
        if (_reasonLength < ReasonCapacity)
        {
            _reason[_reasonLength++] = (byte)(c < 0x80 && c >= ' ' ? c : '?');
        }
    }

    public ulong CurrentTicks => Thread != null ? Ticks + Thread.Ticks : Ticks;

    /// <summary>Returns the record's own allocations; the record itself is freed by the caller.</summary>
    public void ReleaseRecord()
    {
        ObjectAllocator.Free(_reason);
        ObjectAllocator.Free(Name);
    }
}
