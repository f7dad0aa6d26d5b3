using Kernel.Drivers;

namespace Kernel.Shell;

/// <summary>One shell command: its name, a usage line and a one-line summary for <c>help</c>.</summary>
internal abstract class ShellCommand
{
    public abstract string Name { get; }

    /// <summary>The argument synopsis after the name, e.g. "null|pf ADDR|ud|throw".</summary>
    public virtual string Arguments => "";

    public abstract string Summary { get; }

    /// <summary>Runs the command; the line's word 0 is the command's own name.</summary>
    public abstract void Execute(CommandLine line);

    protected void PrintUsage()
    {
        Console.Write("usage: ");
        Console.Write(Name);
        if (Arguments.Length != 0)
        {
            Console.Write(" ");
            Console.Write(Arguments);
        }
        Console.WriteLine();
    }
}
