namespace Kernel.SelfTest;

/// <summary>A named group of in-kernel tests.</summary>
internal abstract class SelfTestSuite
{
    public abstract string Name { get; }

    /// <summary>
    /// Makes the suite's one-time allocations (caches created on first use, class constructors) before
    /// the runner's leak snapshot, so that what is left counts as a leak. Each override names what it
    /// warms up; running it again allocates nothing.
    /// </summary>
    public virtual void WarmUp()
    {
    }

    public abstract void Run(TestContext test);
}
