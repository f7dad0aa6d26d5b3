#pragma warning disable 169, 649

namespace System.Diagnostics;

public sealed class ConditionalAttribute : Attribute
{
    public ConditionalAttribute(string conditionString)
    {
    }
}

public sealed class DebuggerHiddenAttribute : Attribute
{
}

public sealed class DebuggerStepThroughAttribute : Attribute
{
}
