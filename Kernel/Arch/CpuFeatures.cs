using Kernel.Drivers;

namespace Kernel.Arch;

/// <summary>
/// What CPUID reports (SDM Vol. 2A, CPUID): vendor, brand, family/model/stepping, address widths and
/// the feature bits the kernel cares about (NX, SMEP, SMAP, PGE, 1 GiB pages, ...).
/// </summary>
internal static unsafe class CpuFeatures
{
    private static uint s_maxLeaf;
    private static uint s_maxExtendedLeaf;
    private static uint s_leaf1Ecx, s_leaf1Edx, s_leaf7Ebx, s_leaf7Ecx, s_extEcx, s_extEdx;
    private static uint s_signature;
    private static byte s_physicalBits = 36;
    private static byte s_linearBits = 48;
    private static byte* s_vendor;
    private static byte* s_brand;

    public static bool HasNoExecute => (s_extEdx & (1u << 20)) != 0;
    public static bool HasGlobalPages => (s_leaf1Edx & (1u << 13)) != 0;
    public static bool HasPat => (s_leaf1Edx & (1u << 16)) != 0;
    public static bool HasSmep => (s_leaf7Ebx & (1u << 7)) != 0;
    public static bool HasSmap => (s_leaf7Ebx & (1u << 20)) != 0;
    public static bool HasInvariantTsc { get; private set; }

    public static void Detect()
    {
        uint* r = stackalloc uint[4];
        s_vendor = (byte*)Memory.ObjectAllocator.AllocateZeroed(16);
        s_brand = (byte*)Memory.ObjectAllocator.AllocateZeroed(64);

        Cpu.CpuId(0, 0, r);
        s_maxLeaf = r[0];
        *(uint*)(s_vendor + 0) = r[1];
        *(uint*)(s_vendor + 4) = r[3];
        *(uint*)(s_vendor + 8) = r[2];

        Cpu.CpuId(1, 0, r);
        s_signature = r[0];
        s_leaf1Ecx = r[2];
        s_leaf1Edx = r[3];

        if (s_maxLeaf >= 7)
        {
            Cpu.CpuId(7, 0, r);
            s_leaf7Ebx = r[1];
            s_leaf7Ecx = r[2];
        }

        Cpu.CpuId(0x80000000, 0, r);
        s_maxExtendedLeaf = r[0];
        if (s_maxExtendedLeaf >= 0x80000001)
        {
            Cpu.CpuId(0x80000001, 0, r);
            s_extEcx = r[2];
            s_extEdx = r[3];
        }
        if (s_maxExtendedLeaf >= 0x80000004)
        {
            for (uint leaf = 0; leaf < 3; leaf++)
            {
                Cpu.CpuId(0x80000002 + leaf, 0, (uint*)(s_brand + leaf * 16));
            }
        }
        if (s_maxExtendedLeaf >= 0x80000007)
        {
            Cpu.CpuId(0x80000007, 0, r);
            HasInvariantTsc = (r[3] & (1u << 8)) != 0;
        }
        if (s_maxExtendedLeaf >= 0x80000008)
        {
            Cpu.CpuId(0x80000008, 0, r);
            s_physicalBits = (byte)r[0];
            s_linearBits = (byte)(r[0] >> 8);
        }
    }

    public static void Print()
    {
        Console.Write("vendor:   ");
        Console.WriteAscii(s_vendor, 12);
        Console.WriteLine();
        Console.Write("model:    ");
        byte* brand = s_brand;
        while (*brand == ' ')
        {
            brand++;
        }
        Console.WriteAscii(brand, 48);
        Console.WriteLine();
        uint family = (s_signature >> 8) & 0xF;
        uint model = (s_signature >> 4) & 0xF;
        if (family == 0xF)
        {
            family += (s_signature >> 20) & 0xFF;
        }
        if (family == 0x6 || family >= 0xF)
        {
            model |= ((s_signature >> 16) & 0xF) << 4;
        }
        Console.Write("family ");
        Console.WriteDecimal((ulong)family);
        Console.Write(", model ");
        Console.WriteDecimal((ulong)model);
        Console.Write(", stepping ");
        Console.WriteDecimal((ulong)(s_signature & 0xF));
        Console.WriteLine();
        Console.Write("address:  ");
        Console.WriteDecimal((ulong)s_physicalBits);
        Console.Write(" bits physical, ");
        Console.WriteDecimal((ulong)s_linearBits);
        Console.WriteLine(" bits virtual");
        if (Pit.TscPerMillisecond != 0)
        {
            Console.Write("tsc:      ");
            Console.WriteDecimal(Pit.TscPerMillisecond / 1000);
            Console.WriteLine(HasInvariantTsc ? " MHz (invariant)" : " MHz");
        }
        Console.Write("features:");
        s_featureColumn = 9;
        Feature("fpu", s_leaf1Edx, 0);
        Feature("tsc", s_leaf1Edx, 4);
        Feature("msr", s_leaf1Edx, 5);
        Feature("pae", s_leaf1Edx, 6);
        Feature("apic", s_leaf1Edx, 9);
        Feature("pge", s_leaf1Edx, 13);
        Feature("pat", s_leaf1Edx, 16);
        Feature("clflush", s_leaf1Edx, 19);
        Feature("sse", s_leaf1Edx, 25);
        Feature("sse2", s_leaf1Edx, 26);
        Feature("sse3", s_leaf1Ecx, 0);
        Feature("ssse3", s_leaf1Ecx, 9);
        Feature("sse4.1", s_leaf1Ecx, 19);
        Feature("sse4.2", s_leaf1Ecx, 20);
        Feature("x2apic", s_leaf1Ecx, 21);
        Feature("popcnt", s_leaf1Ecx, 23);
        Feature("xsave", s_leaf1Ecx, 26);
        Feature("avx", s_leaf1Ecx, 28);
        Feature("rdrand", s_leaf1Ecx, 30);
        Feature("hypervisor", s_leaf1Ecx, 31);
        Feature("smep", s_leaf7Ebx, 7);
        Feature("avx2", s_leaf7Ebx, 5);
        Feature("smap", s_leaf7Ebx, 20);
        Feature("umip", s_leaf7Ecx, 2);
        Feature("la57", s_leaf7Ecx, 16);
        Feature("nx", s_extEdx, 20);
        Feature("pdpe1gb", s_extEdx, 26);
        Feature("rdtscp", s_extEdx, 27);
        Feature("lm", s_extEdx, 29);
        Feature("lahf_lm", s_extEcx, 0);
        Feature("lzcnt", s_extEcx, 5);
        Console.WriteLine();
    }

    private const int FeatureLineWidth = 78;
    private static int s_featureColumn;

    private static void Feature(string name, uint register, int bit)
    {
        if ((register & (1u << bit)) == 0)
        {
            return;
        }
        // Wrap within the 80-column screen, continuing under the first feature name.
        if (s_featureColumn + 1 + name.Length > FeatureLineWidth)
        {
            Console.WriteLine();
            Console.Write("         ");
            s_featureColumn = 9;
        }
        Console.Write(" ");
        Console.Write(name);
        s_featureColumn += 1 + name.Length;
    }
}
