namespace Kernel.Tasks;

internal enum ThreadState
{
    /// <summary>Waiting in the ready queue for the CPU.</summary>
    Ready,

    /// <summary>On the CPU.</summary>
    Running,

    /// <summary>Waiting for an event (input, a child's end, a timeout); <see cref="Scheduler.Wake"/> makes it ready.</summary>
    Blocked,

    /// <summary>Ended; its stack is freed by the next thread to run.</summary>
    Dead,
}
