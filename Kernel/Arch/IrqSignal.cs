namespace Kernel.Arch
{
    /// <summary>
    /// "The device interrupted": raised by a driver's interrupt handler, awaited by the driver's request
    /// path with a deadline on the PIT clock. The wait halts the CPU between interrupts; the check and the
    /// halt are one step (interrupts off, then <c>sti; hlt</c>, whose interrupt shadow lets no interrupt in
    /// between), so a raise just after the check still ends the halt at once.
    /// </summary>
    internal sealed class IrqSignal
    {
        private volatile bool _raised;

        public bool IsRaised => _raised;

        /// <summary>Called from the interrupt handler.</summary>
        public void Raise() => _raised = true;

        /// <summary>Called before starting the operation whose completion will raise the signal.</summary>
        public void Reset() => _raised = false;

        /// <summary>
        /// Waits until the signal is raised or <paramref name="milliseconds"/> have passed; returns whether it
        /// was raised. Interrupts are enabled on return (the shell and drivers run with them on).
        /// </summary>
        public bool Wait(ulong milliseconds)
        {
            ulong deadline = Pit.Deadline(milliseconds);
            Cpu.DisableInterrupts();
            while (!_raised && Pit.Ticks < deadline)
            {
                Cpu.WaitForInterrupt();
                Cpu.DisableInterrupts();
            }
            bool raised = _raised;
            Cpu.EnableInterrupts();
            return raised;
        }
    }
}
