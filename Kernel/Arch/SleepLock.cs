namespace Kernel.Arch;

/// <summary>
/// A lock whose waiters sleep: held across a device transfer (during which its holder sleeps too), handed
/// to the waiters in the order they came. Kernel code is not preempted, so the lock is needed only where
/// its holder blocks. Not for interrupt handlers.
/// </summary>
/// <remarks>
/// Each waiter's queue node lives on its own stack for as long as it waits, so waiting allocates nothing.
/// Release hands the lock straight to the first waiter (it never becomes free in between), which makes the
/// order first come, first served and leaves nothing for a latecomer to snatch.
/// </remarks>
internal sealed unsafe class SleepLock
{
    private bool _held;
    private Waiter* _head;
    private Waiter* _tail;
    private ulong _contended;

    private struct Waiter
    {
        public object Thread;
        public Waiter* Next;
        public bool Granted;
    }

    public bool IsHeld => _held;

    /// <summary>Acquisitions that had to wait for another holder.</summary>
    public ulong Contended => _contended;

    public void Acquire()
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        if (!_held)
        {
            _held = true;
            Cpu.RestoreInterrupts(flags);
            return;
        }
        if (!ThreadBlocking.IsAvailable)
        {
            // One thread and no scheduler: the holder is this very code, entered again.
            Panic.Fail("sleep lock: taken again before the scheduler runs");
        }
        _contended++;
        Waiter waiter = default;
        waiter.Thread = ThreadBlocking.Current;
        if (_tail == null)
        {
            _head = &waiter;
        }
        else
        {
            _tail->Next = &waiter;
        }
        _tail = &waiter;
        while (!waiter.Granted)
        {
            ThreadBlocking.Block();
        }
        Cpu.RestoreInterrupts(flags);
    }

    public void Release()
    {
        ulong flags = Cpu.SaveAndDisableInterrupts();
        Waiter* next = _head;
        if (next == null)
        {
            _held = false;
        }
        else
        {
            _head = next->Next;
            if (_head == null)
            {
                _tail = null;
            }
            next->Granted = true;
            ThreadBlocking.Wake(next->Thread);
        }
        Cpu.RestoreInterrupts(flags);
    }
}
