using System.Runtime.InteropServices;

namespace Kernel.Boot
{
    /// <summary>
    /// Reads the multiboot2 boot information GRUB leaves in memory (Multiboot2 spec, 3.6): a total size,
    /// then 8-byte-aligned tags. The kernel keeps the physical addresses of the command line, the memory
    /// map and the modules and reaches them through <see cref="Memory.PhysicalMemory"/>, so they stay valid
    /// when the memory manager replaces the boot identity map with the direct map. The structure itself is
    /// reserved from the frame allocator.
    /// </summary>
    internal static unsafe class Multiboot
    {
        public const uint BootloaderMagic = 0x36D76289;
        private const uint TagEnd = 0;
        private const uint TagCommandLine = 1;
        private const uint TagBootLoaderName = 2;
        private const uint TagModule = 3;
        private const uint TagMemoryMap = 6;
        public const int MaxModules = 64;

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
        private static ulong s_commandLine;
        private static ulong s_bootLoaderName;
        private static ulong s_memoryMap;
        private static uint s_memoryMapEntrySize;
        private static int s_memoryMapCount;
        private static Module* s_modules;
        private static int s_moduleCount;

        private static byte* Phys(ulong physical) => physical == 0 ? null : (byte*)Memory.PhysicalMemory.ToVirtual(physical);

        public static ulong InfoAddress => s_info;

        public static ulong InfoSize => s_info == 0 ? 0 : *(uint*)Phys(s_info);

        public static byte* CommandLine => Phys(s_commandLine);

        public static byte* BootLoaderName => Phys(s_bootLoaderName);

        public static int MemoryMapCount => s_memoryMapCount;

        public static int ModuleCount => s_moduleCount;

        public static bool Parse(uint magic, ulong info)
        {
            if (magic != BootloaderMagic || info == 0)
            {
                return false;
            }
            s_info = info;
            s_modules = (Module*)Memory.ObjectAllocator.AllocateZeroed((nuint)(MaxModules * sizeof(Module)));
            byte* start = Phys(info);
            uint totalSize = *(uint*)start;
            byte* tag = start + 8;
            byte* end = start + totalSize;
            while (tag + 8 <= end)
            {
                uint type = *(uint*)tag;
                uint size = *(uint*)(tag + 4);
                if (type == TagEnd || size < 8)
                {
                    break;
                }
                switch (type)
                {
                    case TagCommandLine:
                        s_commandLine = info + (ulong)(tag + 8 - start);
                        break;
                    case TagBootLoaderName:
                        s_bootLoaderName = info + (ulong)(tag + 8 - start);
                        break;
                    case TagModule:
                        if (s_moduleCount < MaxModules)
                        {
                            Module* module = s_modules + s_moduleCount++;
                            module->Start = *(uint*)(tag + 8);
                            module->End = *(uint*)(tag + 12);
                            module->NamePhysical = info + (ulong)(tag + 16 - start);
                        }
                        break;
                    case TagMemoryMap:
                        s_memoryMapEntrySize = *(uint*)(tag + 8);
                        s_memoryMap = info + (ulong)(tag + 16 - start);
                        s_memoryMapCount = s_memoryMapEntrySize == 0 ? 0 : (int)((size - 16) / s_memoryMapEntrySize);
                        break;
                }
                tag += (size + 7) & ~7u;
            }
            return true;
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

        public static string MemoryTypeName(uint type)
        {
            switch (type)
            {
                case 1: return "usable";
                case 2: return "reserved";
                case 3: return "ACPI data";
                case 4: return "ACPI NVS";
                case 5: return "unusable";
                default: return "reserved (unknown type)";
            }
        }
    }
}
