using Kernel.Boot;

namespace Kernel.Arch;

/// <summary>
/// The kernel's function symbols, for backtraces. The build writes <c>nm -n</c> output ("address name"
/// per line, sorted by address) to kernel.sym, which GRUB loads as the module named "symbols". It is
/// indexed once at boot; lookups are a binary search over the addresses. Names are kept as offsets into
/// the module and reached through <see cref="PhysicalMemory"/>, valid before and after the
/// memory manager takes over the page tables.
/// </summary>
internal static unsafe class Symbols
{
    private static ulong* s_addresses;
    private static uint* s_nameOffsets;
    private static ulong s_modulePhysical;
    private static int s_count;

    public static int Count => s_count;

    public static void Load()
    {
        Multiboot.Module* module = Multiboot.FindModule("symbols");
        if (module == null)
        {
            return;
        }
        s_modulePhysical = module->Start;
        byte* text = (byte*)PhysicalMemory.ToVirtual(module->Start);
        byte* end = text + (module->End - module->Start);
        int lines = 0;
        for (byte* p = text; p < end; p++)
        {
            if (*p == '\n')
            {
                lines++;
            }
        }
        s_addresses = (ulong*)Memory.ObjectAllocator.AllocateZeroed((nuint)(lines * 8));
        s_nameOffsets = (uint*)Memory.ObjectAllocator.AllocateZeroed((nuint)(lines * 4));
        byte* line = text;
        while (line < end && s_count < lines)
        {
            ulong address = 0;
            byte* p = line;
            while (p < end && IsHexDigit(*p))
            {
                address = (address << 4) | HexValue(*p);
                p++;
            }
            if (p < end && *p == ' ')
            {
                s_addresses[s_count] = address;
                s_nameOffsets[s_count] = (uint)(p + 1 - text);
                s_count++;
            }
            while (p < end && *p != '\n')
            {
                p++;
            }
            line = p + 1;
        }
    }

    /// <summary>Finds the function containing <paramref name="address"/>; false outside the table.</summary>
    public static bool TryLookup(ulong address, out byte* name, out ulong offset)
    {
        name = null;
        offset = 0;
        if (s_count == 0 || address < s_addresses[0])
        {
            return false;
        }
        int low = 0;
        int high = s_count - 1;
        while (low < high)
        {
            int middle = (low + high + 1) / 2;
            if (s_addresses[middle] <= address)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        name = (byte*)PhysicalMemory.ToVirtual(s_modulePhysical) + s_nameOffsets[low];
        offset = address - s_addresses[low];
        // Past the last symbol the address is not in any known function.
        return low < s_count - 1 || offset < 0x10000;
    }

    /// <summary>Finds a data symbol (such as a type's MethodTable) that starts exactly at the address.</summary>
    public static bool TryLookupData(ulong address, out byte* name)
    {
        return TryLookup(address, out name, out ulong offset) && offset == 0;
    }

    /// <summary>Writes "name+0xoffset" for an address, or nothing when it is unknown.</summary>
    public static void WriteSymbol(ulong address)
    {
        if (!TryLookup(address, out byte* name, out ulong offset))
        {
            Drivers.Console.Write("?");
            return;
        }
        for (int i = 0; i < 120 && name[i] != '\n' && name[i] != 0; i++)
        {
            Drivers.Console.Write((char)name[i]);
        }
        Drivers.Console.Write("+");
        Drivers.Console.WriteHex(offset, offset > 0xFFFF ? 8 : 4);
    }

    private static bool IsHexDigit(byte c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

    private static ulong HexValue(byte c) => c <= '9' ? (ulong)(c - '0') : (ulong)((c | 0x20) - 'a' + 10);
}
