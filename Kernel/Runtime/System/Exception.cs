namespace System;

/// <summary>
/// The base of exceptions. The kernel has no unwinder: <c>throw</c> becomes a panic that names the
/// exception's type and prints its message (see RuntimeExports.RhpThrowEx).
/// </summary>
public class Exception
{
    private readonly string _message;

    public Exception()
    {
    }

    public Exception(string message)
    {
        _message = message;
    }

    public Exception(string message, Exception innerException)
    {
        _message = message;
    }

    public virtual string Message => _message;
}

public class SystemException : Exception
{
    public SystemException() { }
    public SystemException(string message) : base(message) { }
}

public class NullReferenceException : SystemException
{
    public NullReferenceException() { }
    public NullReferenceException(string message) : base(message) { }
}

public class IndexOutOfRangeException : SystemException
{
    public IndexOutOfRangeException() { }
    public IndexOutOfRangeException(string message) : base(message) { }
}

public class InvalidCastException : SystemException
{
    public InvalidCastException() { }
    public InvalidCastException(string message) : base(message) { }
}

public class ArithmeticException : SystemException
{
    public ArithmeticException() { }
    public ArithmeticException(string message) : base(message) { }
}

public class OverflowException : ArithmeticException
{
    public OverflowException() { }
    public OverflowException(string message) : base(message) { }
}

public class DivideByZeroException : ArithmeticException
{
    public DivideByZeroException() { }
    public DivideByZeroException(string message) : base(message) { }
}

public class ArgumentException : SystemException
{
    public ArgumentException() { }
    public ArgumentException(string message) : base(message) { }
}

public class ArgumentNullException : ArgumentException
{
    public ArgumentNullException() { }
    public ArgumentNullException(string message) : base(message) { }
}

public class ArgumentOutOfRangeException : ArgumentException
{
    public ArgumentOutOfRangeException() { }
    public ArgumentOutOfRangeException(string message) : base(message) { }
}

public class InvalidOperationException : SystemException
{
    public InvalidOperationException() { }
    public InvalidOperationException(string message) : base(message) { }
}

public class NotSupportedException : SystemException
{
    public NotSupportedException() { }
    public NotSupportedException(string message) : base(message) { }
}

public class PlatformNotSupportedException : NotSupportedException
{
    public PlatformNotSupportedException() { }
    public PlatformNotSupportedException(string message) : base(message) { }
}

public class NotImplementedException : SystemException
{
    public NotImplementedException() { }
    public NotImplementedException(string message) : base(message) { }
}

public class ArrayTypeMismatchException : SystemException
{
    public ArrayTypeMismatchException() { }
    public ArrayTypeMismatchException(string message) : base(message) { }
}

public class OutOfMemoryException : SystemException
{
    public OutOfMemoryException() { }
    public OutOfMemoryException(string message) : base(message) { }
}

public class FormatException : SystemException
{
    public FormatException() { }
    public FormatException(string message) : base(message) { }
}
