namespace Kernel.Bench.Traces;

/// <summary>
/// What a trace needs of an allocator. Implemented by small structs and used through a struct-constrained
/// generic (<see cref="TraceReplayer.Replay{TAllocator}"/>), so the JIT compiles one replay loop per
/// allocator with the calls bound directly: no allocator pays interface dispatch the others do not.
/// </summary>
internal unsafe interface ITraceAllocator
{
    void* Allocate(nuint size);

    void Free(void* memory);
}
