using Xunit;

namespace Kernel.Tests.Boot;

/// <summary>
/// Boot tests run one at a time: each QEMU instance emulates a whole machine and the CI host has two
/// cores, so running them side by side only makes every boot slower and the deadlines tighter.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BootCollection
{
    public const string Name = "boot";
}
