namespace Internal.Runtime.CompilerHelpers
{
    /// <summary>
    /// The throw helpers ilc's code calls for failed checks. With no unwinder each becomes a panic that
    /// names the exception (the kernel's page-fault handler reports null dereferences the same way).
    /// </summary>
    internal static class ThrowHelpers
    {
        public static void ThrowNullReferenceException() => Kernel.Panic.RuntimeFault("NullReferenceException", "object reference not set to an instance of an object");
        public static void ThrowIndexOutOfRangeException() => Kernel.Panic.RuntimeFault("IndexOutOfRangeException", "index was outside the bounds of the array");
        public static void ThrowInvalidCastException() => Kernel.Panic.RuntimeFault("InvalidCastException", "specified cast is not valid");
        public static void ThrowOverflowException() => Kernel.Panic.RuntimeFault("OverflowException", "arithmetic operation resulted in an overflow");
        public static void ThrowDivideByZeroException() => Kernel.Panic.RuntimeFault("DivideByZeroException", "attempted to divide by zero");
        public static void ThrowArrayTypeMismatchException() => Kernel.Panic.RuntimeFault("ArrayTypeMismatchException", "array element type mismatch");
        public static void ThrowArgumentOutOfRangeException() => Kernel.Panic.RuntimeFault("ArgumentOutOfRangeException", "argument out of range");
        public static void ThrowArgumentException() => Kernel.Panic.RuntimeFault("ArgumentException", "invalid argument");
        public static void ThrowPlatformNotSupportedException() => Kernel.Panic.RuntimeFault("PlatformNotSupportedException", "operation not supported by the kernel runtime");
        public static void ThrowNotImplementedException() => Kernel.Panic.RuntimeFault("NotImplementedException", "not implemented");
        public static void ThrowInvalidProgramException() => Kernel.Panic.RuntimeFault("InvalidProgramException", "invalid program");
        public static void ThrowInvalidProgramExceptionWithArgument(int id, nint method) => ThrowInvalidProgramException();
        public static void ThrowMarshalDirectiveException() => Kernel.Panic.RuntimeFault("MarshalDirectiveException", "unsupported marshalling");
        public static void ThrowTypeLoadException() => Kernel.Panic.RuntimeFault("TypeLoadException", "type could not be loaded");
        public static void ThrowTypeLoadExceptionWithArgument(int id, nint className, nint typeName, nint assemblyName) => ThrowTypeLoadException();
        public static void ThrowMissingMethodException() => Kernel.Panic.RuntimeFault("MissingMethodException", "method not compiled");
        public static void ThrowMissingFieldException() => Kernel.Panic.RuntimeFault("MissingFieldException", "field not found");
        public static void ThrowFileNotFoundException() => Kernel.Panic.RuntimeFault("FileNotFoundException", "file not found");
        public static void ThrowBadImageFormatException() => Kernel.Panic.RuntimeFault("BadImageFormatException", "bad image");
        public static void ThrowEntryPointNotFoundException() => Kernel.Panic.RuntimeFault("EntryPointNotFoundException", "entry point not found");
        public static void ThrowAmbiguousMatchException() => Kernel.Panic.RuntimeFault("AmbiguousMatchException", "ambiguous match");
        public static void ThrowFeatureBodyRemoved() => Kernel.Panic.RuntimeFault("NotSupportedException", "method body removed by the compiler");
        public static void ThrowInstanceBodyRemoved() => ThrowFeatureBodyRemoved();
        public static void ThrowUnavailableType() => ThrowTypeLoadException();
        public static void ThrowNotSupportedInlineArrayEqualsGetHashCode() => ThrowFeatureBodyRemoved();
    }
}
