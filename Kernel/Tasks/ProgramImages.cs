using Kernel.Boot;
using Kernel.Memory;

namespace Kernel.Tasks;

/// <summary>
/// The programs shipped in the ISO: GRUB loads each as a module named <c>bin/NAME</c> (tools/build.sh
/// writes the lines), and the kernel reads them in place through the direct map. The bytes are whatever
/// the boot medium held, so every image is checked (Kernel.Mem/User/ElfImage) before anything is loaded.
/// </summary>
internal static unsafe class ProgramImages
{
    public const int MaxNameLength = 32;
    private const string Prefix = "bin/";

    /// <summary>The number of modules that are programs.</summary>
    public static int Count
    {
        get
        {
            int count = 0;
            for (int i = 0; i < Multiboot.ModuleCount; i++)
            {
                if (IsProgram(Multiboot.GetModule(i)))
                {
                    count++;
                }
            }
            return count;
        }
    }

    /// <summary>Writes the program names, separated by ", ".</summary>
    public static void WriteNames()
    {
        bool first = true;
        for (int i = 0; i < Multiboot.ModuleCount; i++)
        {
            Multiboot.Module* module = Multiboot.GetModule(i);
            if (!IsProgram(module))
            {
                continue;
            }
            if (!first)
            {
                Drivers.Console.Write(", ");
            }
            first = false;
            Drivers.Console.WriteAscii(module->Name + Prefix.Length, MaxNameLength);
        }
    }

    /// <summary>
    /// Finds the program called by the <paramref name="length"/> bytes at <paramref name="name"/>; on success
    /// <paramref name="image"/> points at its bytes (through the direct map) and <paramref name="size"/> is their count.
    /// </summary>
    public static bool TryFind(byte* name, int length, out byte* image, out ulong size)
    {
        image = null;
        size = 0;
        if (length <= 0 || length > MaxNameLength)
        {
            return false;
        }
        for (int i = 0; i < Multiboot.ModuleCount; i++)
        {
            Multiboot.Module* module = Multiboot.GetModule(i);
            if (!IsProgram(module) || !NameIs(module->Name + Prefix.Length, name, length))
            {
                continue;
            }
            if (module->End <= module->Start)
            {
                return false;
            }
            image = (byte*)PhysicalMemory.ToVirtual(module->Start);
            size = module->End - module->Start;
            return true;
        }
        return false;
    }

    private static bool IsProgram(Multiboot.Module* module)
    {
        byte* name = module->Name;
        if (name == null)
        {
            return false;
        }
        for (int i = 0; i < Prefix.Length; i++)
        {
            if (name[i] != Prefix[i])
            {
                return false;
            }
        }
        return name[Prefix.Length] != 0;
    }

    private static bool NameIs(byte* moduleName, byte* name, int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (moduleName[i] != name[i])
            {
                return false;
            }
        }
        return moduleName[length] == 0;
    }
}
