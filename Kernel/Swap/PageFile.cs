using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Mem.Replacement;
using Kernel.Memory;

namespace Kernel.Swap;

/// <summary>
/// The page file: slots of one page on the first ATA disk whose sector 0 carries the page-file signature
/// (<see cref="PageFileHeader"/>). A disk without it, or with a header that fails a check, is never
/// written. Reads and writes block the calling thread until the disk is done (other threads run); a
/// failed transfer is tried once more after the driver's channel reset, and a second failure is a
/// status, never a panic. Slot bookkeeping and transfers are not for interrupt handlers.
/// </summary>
internal static unsafe class PageFile
{
    private const ulong KiB = 1024;
    private const ulong MiB = 1024 * 1024;

    private static AtaDisk s_disk;
    private static PageFileHeader s_header;
    private static SlotAllocator s_slots;
    private static ulong s_reads;
    private static ulong s_writes;
    private static ulong s_errors;
    private static ulong s_retries;
    private static ulong s_failures;
    private static IdeStatus s_lastDiskStatus;
    private static ulong s_probeCycles;

    public static bool IsPresent => s_slots != null;

    /// <summary>The disk holding the page file; null when there is none.</summary>
    public static AtaDisk Disk => s_disk;

    public static PageFileHeader Header => s_header;

    public static ulong SlotCount => s_slots == null ? 0 : s_slots.Count;

    public static ulong SlotsInUse => s_slots == null ? 0 : s_slots.InUse;

    /// <summary>Pages read and written successfully.</summary>
    public static ulong Reads => s_reads;

    public static ulong Writes => s_writes;

    /// <summary>Transfers the disk failed (each failure counts, the retried one too).</summary>
    public static ulong Errors => s_errors;

    /// <summary>Transfers tried again after a failure.</summary>
    public static ulong Retries => s_retries;

    /// <summary>Reads and writes that failed for good (the caller got <see cref="PageFileStatus.DiskError"/>).</summary>
    public static ulong Failures => s_failures;

    /// <summary>Frees refused: a slot freed twice, or out of range.</summary>
    public static ulong RejectedFrees => s_slots == null ? 0 : s_slots.RejectedFrees;

    /// <summary>TSC cycles the boot-time probe took: the IDE controller's, and every disk's sector 0.</summary>
    public static ulong ProbeCycles => s_probeCycles;

    /// <summary>What the disk answered to the last transfer that failed.</summary>
    public static IdeStatus LastDiskStatus => s_lastDiskStatus;

    /// <summary>
    /// Looks at sector 0 of every ATA disk, in the order primary master, primary slave, secondary master,
    /// secondary slave, and takes the first whose page-file header passes every check. Says what it found.
    /// Only reads; done once, at boot.
    /// </summary>
    public static void Probe()
    {
        ulong start = Arch.Cpu.ReadTsc();
        if (IdeController.Probe() == IdeStatus.Ok)
        {
            byte* sector = (byte*)MemoryManager.Heap.Allocate(PageFileHeader.Size);
            for (int i = 0; i < IdeController.DiskCount && sector != null; i++)
            {
                Consider(IdeController.Disk(i), sector);
            }
            MemoryManager.Heap.Free(sector);
        }
        s_probeCycles = Arch.Cpu.ReadTsc() - start;
        if (!IsPresent)
        {
            WriteAbsence();
            Console.WriteLine(": out of memory kills the faulting process");
        }
    }

    /// <summary>
    /// "page file: none (why)": a machine without an IDE controller (QEMU's q35 has AHCI, where -drive if=ide
    /// attaches its disks) or without an ATA disk is named as such, not as one whose disks lack the signature.
    /// </summary>
    public static void WriteAbsence()
    {
        Console.Write("page file: none (");
        switch (IdeController.Probe())
        {
            case IdeStatus.Ok:
                Console.Write("no disk carries the page-file signature");
                break;
            case IdeStatus.NoDisk:
                Console.Write("no ATA disk on the IDE controller");
                break;
            case IdeStatus.NoController:
                Console.Write("no PCI IDE controller; the page file must be an ATA disk on one");
                break;
            default:
                Console.Write("the IDE controller cannot be used, see 'ide info'");
                break;
        }
        Console.Write(")");
    }

    private static void Consider(AtaDisk disk, byte* sector)
    {
        IdeStatus read = disk.Read(0, 1, sector);
        if (read != IdeStatus.Ok)
        {
            Console.Write("page file: ");
            Console.Write(disk.PositionName);
            Console.WriteLine(": sector 0 could not be read; not used");
            return;
        }
        PageFileHeaderStatus status = PageFileHeader.Parse(sector, PageFileHeader.Size, disk.Sectors, out PageFileHeader header);
        if (status == PageFileHeaderStatus.NoSignature)
        {
            return;
        }
        if (status != PageFileHeaderStatus.Ok)
        {
            Console.Write("page file: ");
            Console.Write(disk.PositionName);
            Console.Write(": signature refused (");
            Console.Write(Describe(status));
            Console.WriteLine("); the disk is not used");
            return;
        }
        if (IsPresent)
        {
            Console.Write("page file: ");
            Console.Write(disk.PositionName);
            Console.WriteLine(" also carries the signature; only the first page file is used");
            return;
        }
        s_disk = disk;
        s_header = header;
        s_slots = new SlotAllocator(header.SlotCount);
        // From here on the memory manager's page replacement evicts to this disk.
        KernelPageStore.Register(&TryAllocateSlot, &FreeSlot, &WriteForStore, &ReadForStore, &IsNearlyFull);
        Console.Write("page file: ");
        WriteDescription();
        Console.WriteLine();
    }

    /// <summary>"primary slave "QEMU HARDDISK", 16383 slots (63 MiB)".</summary>
    public static void WriteDescription()
    {
        Console.Write(s_disk.PositionName);
        Console.Write(" \"");
        AtaIdentity identity = s_disk.Identity;
        for (int i = 0; i < identity.ModelTextLength; i++)
        {
            Console.Write((char)identity.Model[i]);
        }
        Console.Write("\", ");
        Console.WriteDecimal(s_header.SlotCount);
        Console.Write(" slots (");
        ulong bytes = s_header.SlotCount * PageFileHeader.SlotSize;
        // A page file under 1 MiB would read "0 MiB".
        Console.WriteDecimal(bytes >= MiB ? bytes / MiB : bytes / KiB);
        Console.Write(bytes >= MiB ? " MiB)" : " KiB)");
    }

    /// <summary>At least half the slots are in use (see <see cref="Kernel.Mem.Replacement.IPageStore.IsNearlyFull"/>).</summary>
    public static bool IsNearlyFull() => s_slots != null && s_slots.InUse * 2 >= s_slots.Count;

    /// <summary>Takes a free slot; false when there is no page file or every slot is in use.</summary>
    public static bool TryAllocateSlot(out ulong slot)
    {
        slot = 0;
        return s_slots != null && s_slots.TryAllocate(out slot);
    }

    /// <summary>Returns a slot. A double free, or a slot out of range, is refused, counted and reported.</summary>
    public static void FreeSlot(ulong slot)
    {
        SlotFreeStatus status = s_slots == null ? SlotFreeStatus.OutOfRange : s_slots.Release(slot);
        if (status == SlotFreeStatus.Ok)
        {
            return;
        }
        Console.Write("page file: refused free of slot ");
        Console.WriteDecimal(slot);
        Console.WriteLine(status == SlotFreeStatus.NotAllocated ? ": not allocated (double free)" : ": no such slot");
    }

    /// <summary>Whether <paramref name="slot"/> is allocated.</summary>
    public static bool IsAllocated(ulong slot) => s_slots != null && s_slots.IsAllocated(slot);

    /// <summary>Writes the page at physical address <paramref name="physicalFrame"/> to <paramref name="slot"/>, which the caller holds.</summary>
    public static PageFileStatus Write(ulong slot, ulong physicalFrame)
    {
        PageFileStatus check = CheckFrame(physicalFrame);
        return check != PageFileStatus.Ok ? check : Transfer(slot, (byte*)PhysicalMemory.ToVirtual(physicalFrame), write: true);
    }

    /// <summary>Reads <paramref name="slot"/>, which the caller holds, into the page at physical address <paramref name="physicalFrame"/>.</summary>
    public static PageFileStatus Read(ulong slot, ulong physicalFrame)
    {
        PageFileStatus check = CheckFrame(physicalFrame);
        return check != PageFileStatus.Ok ? check : Transfer(slot, (byte*)PhysicalMemory.ToVirtual(physicalFrame), write: false);
    }

    /// <summary>As <see cref="Write(ulong, ulong)"/>, from a page-sized kernel buffer.</summary>
    public static PageFileStatus WritePage(ulong slot, byte* page) => Transfer(slot, page, write: true);

    /// <summary>As <see cref="Read(ulong, ulong)"/>, into a page-sized kernel buffer (untouched unless the read succeeded).</summary>
    public static PageFileStatus ReadPage(ulong slot, byte* page) => Transfer(slot, page, write: false);

    private static PageStoreStatus WriteForStore(ulong slot, ulong frame) => ForStore(Write(slot, frame));

    private static PageStoreStatus ReadForStore(ulong slot, ulong frame) => ForStore(Read(slot, frame));

    /// <summary>The memory manager's words: a disk failure, or a request that should never have been made.</summary>
    private static PageStoreStatus ForStore(PageFileStatus status)
    {
        switch (status)
        {
            case PageFileStatus.Ok:
                return PageStoreStatus.Ok;
            case PageFileStatus.DiskError:
                return PageStoreStatus.DeviceError;
            default:
                return PageStoreStatus.BadSlot;
        }
    }

    private static PageFileStatus CheckFrame(ulong physicalFrame)
    {
        if (physicalFrame % PageFileHeader.SlotSize != 0 || physicalFrame >= MemoryManager.DirectMapSize)
        {
            return PageFileStatus.BadFrame;
        }
        return PageFileStatus.Ok;
    }

    private static PageFileStatus Transfer(ulong slot, byte* page, bool write)
    {
        if (s_slots == null)
        {
            return PageFileStatus.NoPageFile;
        }
        if (slot >= s_slots.Count)
        {
            return PageFileStatus.BadSlot;
        }
        if (!s_slots.IsAllocated(slot))
        {
            return PageFileStatus.SlotNotAllocated;
        }
        ulong lba = s_header.SlotLba(slot);
        uint sectors = (uint)PageFileHeader.SectorsPerSlot;
        // The driver resets the channel after a failed command; the second try runs on the fresh channel.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (attempt != 0)
            {
                s_retries++;
            }
            IdeStatus status = write ? s_disk.Write(lba, sectors, page) : s_disk.Read(lba, sectors, page);
            if (status == IdeStatus.Ok)
            {
                if (write)
                {
                    s_writes++;
                }
                else
                {
                    s_reads++;
                }
                return PageFileStatus.Ok;
            }
            s_errors++;
            s_lastDiskStatus = status;
        }
        s_failures++;
        return PageFileStatus.DiskError;
    }

    public static string Describe(PageFileStatus status)
    {
        switch (status)
        {
            case PageFileStatus.Ok: return "ok";
            case PageFileStatus.NoPageFile: return "no page file";
            case PageFileStatus.BadSlot: return "no such slot";
            case PageFileStatus.SlotNotAllocated: return "slot not allocated";
            case PageFileStatus.BadFrame: return "frame not page aligned or outside the direct map";
            default: return "disk error";
        }
    }

    public static string Describe(PageFileHeaderStatus status)
    {
        switch (status)
        {
            case PageFileHeaderStatus.Ok: return "ok";
            case PageFileHeaderStatus.Truncated: return "truncated";
            case PageFileHeaderStatus.NoSignature: return "no signature";
            case PageFileHeaderStatus.BadChecksum: return "checksum mismatch";
            case PageFileHeaderStatus.UnsupportedVersion: return "unknown version";
            case PageFileHeaderStatus.BadHeaderSize: return "bad header size";
            case PageFileHeaderStatus.BadSlotSize: return "slot size is not 4096";
            case PageFileHeaderStatus.ReservedNotZero: return "reserved bits set";
            case PageFileHeaderStatus.BadFirstSlot: return "first slot overlaps the header or is not 4 KiB aligned";
            case PageFileHeaderStatus.NoSlots: return "no slots";
            case PageFileHeaderStatus.TooManySlots: return "more slots than the kernel tracks";
            default: return "slots beyond the end of the disk";
        }
    }
}
