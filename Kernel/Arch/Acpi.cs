using Kernel.Drivers;

namespace Kernel.Arch;

/// <summary>
/// Just enough ACPI to power off: find the RSDP (the copy GRUB passes in the boot information, else in
/// the BIOS area, where UEFI firmware does not put it), the FADT through the RSDT/XSDT, the
/// PM1 control blocks in the FADT, and the sleep type values of the \_S5 package in the DSDT's AML
/// (ACPI 6.4, 5.2 and 7.4.2). Entering S5 is a write of SLP_TYP | SLP_EN to PM1a/PM1b control.
/// </summary>
internal static unsafe class Acpi
{
    private const ulong BiosAreaStart = 0xE0000;
    private const ulong BiosAreaEnd = 0x100000;
    private const ulong EbdaSegmentPointer = 0x40E;
    private const ushort SleepEnable = 1 << 13;
    private const ushort SciEnable = 1 << 0;
    private const byte AmlPackageOp = 0x12;
    private const byte AmlBytePrefix = 0x0A;

    // Byte offsets in the system description tables (ACPI 6.4, 5.2.6 header, 5.2.9 FADT).
    private const int TableLengthOffset = 4;
    private const int TableHeaderSize = 36;
    private const int FadtDsdt = 40;
    private const int FadtSmiCommand = 48;
    private const int FadtAcpiEnable = 52;
    private const int FadtPm1aControlBlock = 64;
    private const int FadtPm1bControlBlock = 68;
    private const int FadtExtendedDsdt = 140;

    /// <summary>Physical memory is identity-mapped below 4 GiB while ACPI is read.</summary>
    private static byte* Physical(ulong address) => (byte*)Boot.PhysicalMemory.ToVirtual(address);

    public static bool TryShutdown()
    {
        byte* rsdp = FindRsdp();
        if (rsdp == null)
        {
            return false;
        }
        byte* fadt = FindTable(rsdp, "FACP");
        if (fadt == null)
        {
            return false;
        }
        uint length = *(uint*)(fadt + TableLengthOffset);
        ulong dsdtAddress = *(uint*)(fadt + FadtDsdt);
        if (length >= FadtExtendedDsdt + 8 && *(ulong*)(fadt + FadtExtendedDsdt) != 0)
        {
            dsdtAddress = *(ulong*)(fadt + FadtExtendedDsdt);
        }
        uint smiCommand = *(uint*)(fadt + FadtSmiCommand);
        byte acpiEnable = fadt[FadtAcpiEnable];
        ushort pm1a = (ushort)*(uint*)(fadt + FadtPm1aControlBlock);
        ushort pm1b = (ushort)*(uint*)(fadt + FadtPm1bControlBlock);
        if (pm1a == 0 || dsdtAddress == 0 || !TryFindS5(Physical(dsdtAddress), out byte typeA, out byte typeB))
        {
            return false;
        }
        if ((Cpu.InWord(pm1a) & SciEnable) == 0 && smiCommand != 0 && acpiEnable != 0)
        {
            Cpu.OutByte((ushort)smiCommand, acpiEnable);
            for (int i = 0; i < 300 && (Cpu.InWord(pm1a) & SciEnable) == 0; i++)
            {
                Pit.Sleep(1);
            }
        }
        Cpu.OutWord(pm1a, (ushort)((typeA << 10) | SleepEnable));
        if (pm1b != 0)
        {
            Cpu.OutWord(pm1b, (ushort)((typeB << 10) | SleepEnable));
        }
        Pit.Sleep(100);
        return false;
    }

    private static byte* FindRsdp()
    {
        if (Boot.Multiboot.RsdpAddress != 0)
        {
            return Physical(Boot.Multiboot.RsdpAddress);
        }
        // The EBDA segment is stored in the BIOS data area on physical page 0, which is unmapped while
        // the identity map serves as the kernel's view of low memory: read it through the fault probe.
        ulong ebda = 0;
        if (FaultProbe.TryRead((ulong)Physical(EbdaSegmentPointer), out byte low) && FaultProbe.TryRead((ulong)Physical(EbdaSegmentPointer + 1), out byte high))
        {
            ebda = (ulong)(low | (high << 8)) << 4;
        }
        byte* found = ebda >= 0x80000 && ebda < 0xA0000 ? Scan(ebda, ebda + 1024) : null;
        return found != null ? found : Scan(BiosAreaStart, BiosAreaEnd);
    }

    private static byte* Scan(ulong start, ulong end)
    {
        for (ulong address = start; address < end; address += 16)
        {
            byte* p = Physical(address);
            if (Matches(p, "RSD PTR ") && Checksum(p, 20))
            {
                return p;
            }
        }
        return null;
    }

    private static byte* FindTable(byte* rsdp, string signature)
    {
        bool extended = rsdp[15] >= 2 && *(ulong*)(rsdp + 24) != 0;
        byte* root = Physical(extended ? *(ulong*)(rsdp + 24) : *(uint*)(rsdp + 16));
        uint length = *(uint*)(root + TableLengthOffset);
        int entrySize = extended ? 8 : 4;
        for (uint offset = TableHeaderSize; offset + entrySize <= length; offset += (uint)entrySize)
        {
            ulong address = extended ? *(ulong*)(root + offset) : *(uint*)(root + offset);
            byte* table = Physical(address);
            if (Matches(table, signature))
            {
                return table;
            }
        }
        return null;
    }

    /// <summary>Finds <c>Name(_S5, Package() { SLP_TYPa, SLP_TYPb, ... })</c> in the DSDT's AML.</summary>
    private static bool TryFindS5(byte* dsdt, out byte typeA, out byte typeB)
    {
        typeA = 0;
        typeB = 0;
        uint length = *(uint*)(dsdt + TableLengthOffset);
        for (uint i = TableHeaderSize; i + 8 < length; i++)
        {
            byte* p = dsdt + i;
            if (!Matches(p, "_S5_") || p[4] != AmlPackageOp)
            {
                continue;
            }
            // PkgLength: the top two bits of the lead byte count the bytes that follow it.
            byte* q = p + 5;
            q += 1 + ((*q >> 6) & 3);
            q++; // NumElements
            typeA = ReadSmallInteger(ref q);
            typeB = ReadSmallInteger(ref q);
            return true;
        }
        return false;
    }

    private static byte ReadSmallInteger(ref byte* p)
    {
        if (*p == AmlBytePrefix)
        {
            byte value = p[1];
            p += 2;
            return value;
        }
        // ZeroOp (0x00) and OneOp (0x01) stand for themselves.
        byte constant = *p;
        p++;
        return constant;
    }

    private static bool Matches(byte* p, string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (p[i] != text[i])
            {
                return false;
            }
        }
        return true;
    }

    private static bool Checksum(byte* p, int length)
    {
        byte sum = 0;
        for (int i = 0; i < length; i++)
        {
            sum += p[i];
        }
        return sum == 0;
    }
}
