namespace Internal.Runtime.CompilerHelpers;

/// <summary>
/// The throw helpers ilc's code calls for failed checks. With no unwinder each is fatal: a panic in the
/// kernel, the end of the process in a user program (<see cref="RuntimeHost.RuntimeFault"/>), naming the
/// exception.
/// </summary>
internal static class ThrowHelpers
{
    public static void ThrowNullReferenceException() => RuntimeHost.RuntimeFault("NullReferenceException", "object reference not set to an instance of an object");
    public static void ThrowIndexOutOfRangeException() => RuntimeHost.RuntimeFault("IndexOutOfRangeException", "index was outside the bounds of the array");
    public static void ThrowInvalidCastException() => RuntimeHost.RuntimeFault("InvalidCastException", "specified cast is not valid");
    public static void ThrowOverflowException() => RuntimeHost.RuntimeFault("OverflowException", "arithmetic operation resulted in an overflow");
    public static void ThrowDivideByZeroException() => RuntimeHost.RuntimeFault("DivideByZeroException", "attempted to divide by zero");
    public static void ThrowArrayTypeMismatchException() => RuntimeHost.RuntimeFault("ArrayTypeMismatchException", "array element type mismatch");
    public static void ThrowArgumentOutOfRangeException() => RuntimeHost.RuntimeFault("ArgumentOutOfRangeException", "argument out of range");
    public static void ThrowArgumentException() => RuntimeHost.RuntimeFault("ArgumentException", "invalid argument");
    public static void ThrowPlatformNotSupportedException() => RuntimeHost.RuntimeFault("PlatformNotSupportedException", "operation not supported by the kernel runtime");
    public static void ThrowNotImplementedException() => RuntimeHost.RuntimeFault("NotImplementedException", "not implemented");
    public static void ThrowInvalidProgramException() => RuntimeHost.RuntimeFault("InvalidProgramException", "invalid program");
    public static void ThrowInvalidProgramExceptionWithArgument(int id, nint method) => ThrowInvalidProgramException();
    public static void ThrowMarshalDirectiveException() => RuntimeHost.RuntimeFault("MarshalDirectiveException", "unsupported marshalling");
    public static void ThrowTypeLoadException() => RuntimeHost.RuntimeFault("TypeLoadException", "type could not be loaded");
    public static void ThrowTypeLoadExceptionWithArgument(int id, nint className, nint typeName, nint assemblyName) => ThrowTypeLoadException();
    public static void ThrowMissingMethodException() => RuntimeHost.RuntimeFault("MissingMethodException", "method not compiled");
    public static void ThrowMissingFieldException() => RuntimeHost.RuntimeFault("MissingFieldException", "field not found");
    public static void ThrowFileNotFoundException() => RuntimeHost.RuntimeFault("FileNotFoundException", "file not found");
    public static void ThrowBadImageFormatException() => RuntimeHost.RuntimeFault("BadImageFormatException", "bad image");
    public static void ThrowEntryPointNotFoundException() => RuntimeHost.RuntimeFault("EntryPointNotFoundException", "entry point not found");
    public static void ThrowAmbiguousMatchException() => RuntimeHost.RuntimeFault("AmbiguousMatchException", "ambiguous match");
    public static void ThrowFeatureBodyRemoved() => RuntimeHost.RuntimeFault("NotSupportedException", "method body removed by the compiler");
    public static void ThrowInstanceBodyRemoved() => ThrowFeatureBodyRemoved();
    public static void ThrowUnavailableType() => ThrowTypeLoadException();
    public static void ThrowNotSupportedInlineArrayEqualsGetHashCode() => ThrowFeatureBodyRemoved();
}
