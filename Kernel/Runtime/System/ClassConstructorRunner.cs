namespace System.Runtime.CompilerServices;

/// <summary>
/// Runs a type's static constructor on first access. The kernel is single-threaded while statics
/// initialise, so clearing the address before the call is enough to run each cctor exactly once.
/// </summary>
internal static unsafe class ClassConstructorRunner
{
    private static object CheckStaticClassConstructionReturnGCStaticBase(StaticClassConstructionContext* context, object gcStaticBase)
    {
        EnsureClassConstructorRun(context);
        return gcStaticBase;
    }

    private static nint CheckStaticClassConstructionReturnNonGCStaticBase(StaticClassConstructionContext* context, nint nonGcStaticBase)
    {
        EnsureClassConstructorRun(context);
        return nonGcStaticBase;
    }

    private static void EnsureClassConstructorRun(StaticClassConstructionContext* context)
    {
        nint cctor = context->cctorMethodAddress;
        if (cctor != 0)
        {
            context->cctorMethodAddress = 0;
            ((delegate*<void>)cctor)();
        }
    }
}
