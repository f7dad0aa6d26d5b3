namespace Kernel.Arch;

/// <summary>
/// "The device interrupted": raised by a driver's interrupt handler, awaited by the driver's request path
/// with a deadline on the PIT clock. Once the scheduler runs the waiting thread sleeps and other threads
/// run; before, the wait halts the CPU between interrupts. Either way the check and the sleep are one
/// step with interrupts off (a raise that comes between them makes the block return at once; for the
/// halt, <c>sti; hlt</c>, whose interrupt shadow lets no interrupt in between), so no raise is lost.
/// </summary>
internal sealed class IrqSignal
{
    private volatile bool _raised;
    // The thread sleeping in Wait, woken by Raise; null while nobody sleeps.
    private object _waiter;

    public bool IsRaised => _raised;

    /// <summary>Called from the interrupt handler.</summary>
    public void Raise()
    {
        _raised = true;
        object waiter = _waiter;
        if (waiter != null)
        {
            ThreadBlocking.Wake(waiter);
        }
    }

    /// <summary>Called before starting the operation whose completion will raise the signal.</summary>
    public void Reset() => _raised = false;

    /// <summary>
    /// Waits until the signal is raised or <paramref name="milliseconds"/> have passed; returns whether it
    /// was raised. The caller's interrupt flag is as it was on return.
    /// </summary>
    public bool Wait(ulong milliseconds)
    {
        ulong deadline = Pit.Deadline(milliseconds);
        ulong flags = Cpu.SaveAndDisableInterrupts();
        if (ThreadBlocking.IsAvailable)
        {
            _waiter = ThreadBlocking.Current;
            while (!_raised && Pit.Ticks < deadline)
            {
                ThreadBlocking.SleepUntil(deadline);
            }
            _waiter = null;
        }
        else
        {
            while (!_raised && Pit.Ticks < deadline)
            {
                Cpu.WaitForInterrupt();
                Cpu.DisableInterrupts();
            }
        }
        bool raised = _raised;
        Cpu.RestoreInterrupts(flags);
        return raised;
    }
}
