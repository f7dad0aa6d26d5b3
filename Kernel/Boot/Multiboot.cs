using System.Runtime.InteropServices;
using Kernel.Drivers;

namespace Kernel.Boot;

/// <summary>
/// The multiboot2 boot information GRUB leaves in memory (Multiboot2 spec, 3.6), as read by the
/// hardware-free <see cref="BootInformation"/>, which checks every size before it trusts it: malformed
/// tags are skipped and named on the console. The kernel keeps the physical addresses of the command
/// line, the memory map and the modules and reaches them through <see cref="PhysicalMemory"/>, so
/// they stay valid when the memory manager replaces the boot identity map with the direct map. The
/// structure itself is reserved from the frame allocator.
/// </summary>
internal static unsafe class Multiboot
{
    public const uint BootloaderMagic = 0x36D76289;
    public const int MaxModules = BootInformation.MaxModules;

    [StructLayout(LayoutKind.Sequential)]
    public struct MemoryMapEntry
    {
        public ulong Base;
        public ulong Length;
        public uint Type;
        public uint Reserved;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Module
    {
        public ulong Start;
        public ulong End;
        public ulong NamePhysical;

        public byte* Name => Phys(NamePhysical);
    }

    private static ulong s_info;
    private static ulong s_infoSize;
    private static ulong s_commandLine;
    private static ulong s_bootLoaderName;
    private static ulong s_memoryMap;
    private static uint s_memoryMapEntrySize;
    private static int s_memoryMapCount;
    private static Module* s_modules;
    private static int s_moduleCount;
    private static bool s_hasFramebuffer;
    private static BootInformationFramebuffer s_framebuffer;
    private static ulong s_rsdp;
    private static BootInformation s_parsed;

    private static byte* Phys(ulong physical) => physical == 0 ? null : (byte*)PhysicalMemory.ToVirtual(physical);

    public static ulong InfoAddress => s_info;

    public static ulong InfoSize => s_infoSize;

    public static byte* CommandLine => Phys(s_commandLine);

    public static byte* BootLoaderName => Phys(s_bootLoaderName);

    public static int MemoryMapCount => s_memoryMapCount;

    public static int ModuleCount => s_moduleCount;

    /// <summary>Whether GRUB set up a 32-bit linear framebuffer (always under UEFI; on BIOS when gfxpayload asks).</summary>
    public static bool HasFramebuffer => s_hasFramebuffer;

    public static BootInformationFramebuffer Framebuffer => s_framebuffer;

    /// <summary>
    /// Physical address of the checked RSDP copy GRUB put in the boot information (the ACPI 2.0 one when
    /// given), 0 when there is none. Under UEFI this is the only way to the RSDP: it is not in the BIOS area.
    /// </summary>
    public static ulong RsdpAddress => s_rsdp;

    /// <summary>
    /// Reads the boot information at physical <paramref name="info"/>. False when the magic is wrong or the
    /// structure cannot be read at all (misaligned, shorter than its header, or longer than the boot
    /// identity map reaches); a malformed tag is only skipped, and named by <see cref="ReportProblems"/> once
    /// the console is chosen (it depends on the framebuffer found here).
    /// </summary>
    public static bool Parse(uint magic, ulong info)
    {
        if (magic != BootloaderMagic || info == 0 || info >= PhysicalMemory.BootIdentityMapEnd)
        {
            return false;
        }
        BootInformationStatus status = BootInformation.Parse(Phys(info), PhysicalMemory.BootIdentityMapEnd - info, out BootInformation parsed);
        if (status != BootInformationStatus.Ok)
        {
            Console.Write("multiboot: boot information refused: ", ConsoleColor.LightRed);
            Console.WriteLine(StatusName(status));
            return false;
        }
        s_parsed = parsed;
        s_info = info;
        s_infoSize = parsed.TotalSize;
        s_commandLine = parsed.CommandLineOffset == 0 ? 0 : info + parsed.CommandLineOffset;
        s_bootLoaderName = parsed.BootLoaderNameOffset == 0 ? 0 : info + parsed.BootLoaderNameOffset;
        s_memoryMap = info + parsed.MemoryMapOffset;
        s_memoryMapEntrySize = parsed.MemoryMapEntrySize;
        s_memoryMapCount = parsed.MemoryMapCount;
        s_modules = (Module*)Memory.ObjectAllocator.AllocateZeroed((nuint)(MaxModules * sizeof(Module)));
        s_moduleCount = parsed.ModuleCount;
        for (int i = 0; i < s_moduleCount; i++)
        {
            BootInformationModule module = parsed.Module(i);
            s_modules[i] = new Module { Start = module.Start, End = module.End, NamePhysical = info + module.NameOffset };
        }
        s_hasFramebuffer = parsed.HasFramebuffer;
        s_framebuffer = parsed.Framebuffer;
        s_rsdp = parsed.RsdpOffset == 0 ? 0 : info + parsed.RsdpOffset;
        return true;
    }

    /// <summary>Names every malformed tag <see cref="Parse"/> skipped.</summary>
    public static void ReportProblems()
    {
        BootInformation parsed = s_parsed;
        if (parsed == null)
        {
            return;
        }
        int recorded = parsed.ProblemCount < BootInformation.MaxProblems ? parsed.ProblemCount : BootInformation.MaxProblems;
        for (int i = 0; i < recorded; i++)
        {
            BootInformationProblem problem = parsed.Problem(i);
            Console.Write("multiboot: tag type ", ConsoleColor.Yellow);
            Console.WriteDecimal(problem.TagType);
            Console.Write(" at offset ");
            Console.WriteDecimal(problem.TagOffset);
            Console.Write(": ");
            Console.WriteLine(problem.Description);
        }
        if (parsed.ProblemCount > recorded)
        {
            Console.Write("multiboot: ");
            Console.WriteDecimal((ulong)(parsed.ProblemCount - recorded));
            Console.WriteLine(" more problems");
        }
    }

    private static string StatusName(BootInformationStatus status)
    {
        switch (status)
        {
            case BootInformationStatus.Misaligned: return "not 8-byte aligned";
            case BootInformationStatus.TotalSizeTooSmall: return "total size smaller than its header";
            case BootInformationStatus.TotalSizeBeyondMemory: return "total size beyond the memory the kernel can read";
            default: return "unknown status";
        }
    }

    public static MemoryMapEntry* GetMemoryMapEntry(int index) => (MemoryMapEntry*)Phys(s_memoryMap + (ulong)index * s_memoryMapEntrySize);

    public static Module* GetModule(int index) => s_modules + index;

    /// <summary>Finds a module by the string GRUB gave it (module2 path NAME).</summary>
    public static Module* FindModule(string name)
    {
        for (int i = 0; i < s_moduleCount; i++)
        {
            if (CString.EqualsAscii(s_modules[i].Name, name))
            {
                return s_modules + i;
            }
        }
        return null;
    }

    /// <summary>Whether the kernel command line contains <paramref name="word"/> as a whole word.</summary>
    public static bool HasOption(string word) => CString.ContainsWord(CommandLine, word);
}
