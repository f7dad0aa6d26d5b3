namespace Kernel.SelfTest
{
    /// <summary>A named group of in-kernel tests.</summary>
    internal abstract class SelfTestSuite
    {
        public abstract string Name { get; }

        public abstract void Run(TestContext test);
    }
}
