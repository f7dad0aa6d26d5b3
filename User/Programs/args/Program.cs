using System;

/// <summary>Prints its arguments, one per line with its index and length, and exits with argc as its status.</summary>
internal static class Program
{
    internal static int Main(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            Console.Write("argv[");
            Console.Write(i);
            Console.Write("] = \"");
            Console.Write(args[i]);
            Console.Write("\" (");
            Console.Write(args[i].Length);
            Console.WriteLine(" bytes)");
        }
        return args.Length;
    }
}
