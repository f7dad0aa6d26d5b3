using System.Runtime.InteropServices;
using Internal.Runtime;

namespace UserRuntime;

/// <summary>
/// Where start.asm hands a new process to C#: bring the module to life (statics, class constructors), set
/// the heap up, turn argv into strings, run the program's <c>Program.Main</c>, and exit with what it returned.
/// </summary>
internal static unsafe class UserStart
{
    [UnmanagedCallersOnly(EntryPoint = "UserStart")]
    private static void Start(long argc, byte** argv)
    {
        StartupCodeHelpers.InitializeModules();
        Heap.Initialize();
        string[] arguments = new string[argc];
        for (long i = 0; i < argc; i++)
        {
            int length = 0;
            while (argv[i][length] != 0)
            {
                length++;
            }
            arguments[i] = string.FromAscii(argv[i], length);
        }
        int status = Program.Main(arguments);
        Process.Exit(status);
    }
}
