using Kernel.Arch;
using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Heap;
using Kernel.Mem.Paging;
using Kernel.Mem.Pebble;
using Kernel.Mem.Physical;
using Kernel.Mem.User;

namespace Kernel.Memory;

/// <summary>
/// Puts the host-tested memory manager (Kernel.Mem) under the running kernel: builds the memory map
/// from what GRUB reported, the zones and the frame allocator from what is left after the kernel image,
/// the boot information, the modules and the first MiB; then the kernel's own page tables (a direct
/// map of physical memory, the image with W^X, guard pages under the stacks, page 0 unmapped), switches
/// CR3 to them, and starts the kernel heap that serves <c>new</c> from then on and the pebble allocator
/// that serves device buffers.
/// </summary>
internal static unsafe class MemoryManager
{
    /// <summary>Usable memory needed once the first MiB, the kernel image and boot data are carved out.</summary>
    public const ulong MinimumUsableBytes = 16 * MemConstants.MiB;

    /// <summary>
    /// The RAM that leaves <see cref="MinimumUsableBytes"/> usable with this image and the user programs
    /// GRUB loads beside it (about 0.7 MiB of modules), measured under QEMU: -m 19M leaves 16308 KiB usable
    /// and is refused, -m 20M boots and passes every self-test. The boot tests check both sides, so a larger
    /// image or more programs that move the threshold fail them.
    /// </summary>
    public const ulong MinimumRamMiB = 20;

    private const ulong MinimumHeapSize = 16 * MemConstants.MiB;

    private static MemoryMap s_map;
    private static FrameAllocator<KernelPhysicalMemory> s_frames;
    private static KernelFrameSource s_frameSource;
    private static FrameReserve<KernelFrameSource> s_userFrames;
    private static Mapper<KernelPhysicalMemory, KernelTlb> s_mapper;
    private static KernelHeap<KernelPhysicalMemory, KernelTlb> s_heap;
    private static PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> s_pebbles;
    private static KernelImageLayout s_image;
    private static KernelHeapLayout s_heapLayout;
    private static ulong s_directMapSize;

    public static MemoryMap Map => s_map;

    public static FrameAllocator<KernelPhysicalMemory> Frames => s_frames;

    public static KernelFrameSource FrameSource => s_frameSource;

    /// <summary>
    /// Where user address spaces take their frames (pages, page tables, PML4s): the kernel's source, less a
    /// reserve the kernel keeps for itself (see <see cref="FrameReserve{TSource}"/>), so that nothing a
    /// program takes can make <c>new</c>, a kernel page table, a thread stack or a pebble fail.
    /// </summary>
    public static FrameReserve<KernelFrameSource> UserFrames => s_userFrames;

    public static Mapper<KernelPhysicalMemory, KernelTlb> Mapper => s_mapper;

    public static KernelHeap<KernelPhysicalMemory, KernelTlb> Heap => s_heap;

    /// <summary>The FYSOS bucket/pebble allocator for device buffers with address limits and contiguity.</summary>
    public static PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock> Pebbles => s_pebbles;

    public static KernelImageLayout Image => s_image;

    public static KernelHeapLayout HeapLayout => s_heapLayout;

    public static ulong DirectMapSize => s_directMapSize;



    public static bool IsReady => s_heap != null;

    /// <summary>The kernel's own PML4: every address space copies its upper half.</summary>
    public static ulong KernelRoot => s_mapper.RootTable;

    /// <summary>
    /// Makes an empty user address space sharing the kernel half, taking its frames from
    /// <see cref="UserFrames"/>. Returns false, holding nothing, when no frame is left for its root table.
    /// </summary>
    public static bool TryCreateAddressSpace(out UserAddressSpace<KernelPhysicalMemory, KernelTlb> space)
    {
        return UserAddressSpace<KernelPhysicalMemory, KernelTlb>.Create(default, default, s_userFrames, s_mapper.RootTable,
            SupportedPageFeatures(), out space) == PagingStatus.Success;
    }

    /// <summary>Backs the kernel page at <paramref name="address"/> with a fresh frame, writable, no-execute, global.</summary>
    public static PagingStatus MapKernelPage(ulong address)
    {
        if (!s_frameSource.TryAllocateFrame(out ulong frame))
        {
            return PagingStatus.OutOfFrames;
        }
        PagingStatus status = s_mapper.Map(address, frame, DataFlags(global: true), PageSize.Size4KiB);
        if (status != PagingStatus.Success)
        {
            s_frameSource.FreeFrame(frame);
        }
        return status;
    }

    /// <summary>Unmaps a page mapped by <see cref="MapKernelPage"/> and returns its frame.</summary>
    public static void UnmapKernelPage(ulong address)
    {
        if (s_mapper.Unmap(address, PageSize.Size4KiB, out ulong frame) == PagingStatus.Success)
        {
            s_frameSource.FreeFrame(frame);
        }
    }

    public static void Initialize()
    {
        s_image = KernelImageLayout.Read();
        BuildMemoryMap();
        if (s_map.UsableBytes < MinimumUsableBytes)
        {
            RefuseToRun();
        }
        // The frame metadata is cleared and used before the direct map exists: keep it under the boot identity map.
        // The memory manager's one lock: the frame allocator hands it to every mapper, the heap and the pebbles.
        var memoryLock = new MemoryLock<KernelInterruptLock>();
        FrameAllocatorCreateStatus created = FrameAllocator<KernelPhysicalMemory>.Create(
            s_map, default, memoryLock, PhysicalMemory.BootIdentityMapEnd, out s_frames);
        if (created != FrameAllocatorCreateStatus.Ok)
        {
            Panic.Fail("memory: cannot create the frame allocator from the memory map");
        }
        s_frameSource = new KernelFrameSource(s_frames);
        s_userFrames = new FrameReserve<KernelFrameSource>(s_frameSource, FrameReserve<KernelFrameSource>.SizeFor(s_frames.TotalFrames));

        if (Mem.Paging.Mapper<KernelPhysicalMemory, KernelTlb>.CreateRootTable(default, s_frameSource, out ulong root) != PagingStatus.Success)
        {
            Panic.Fail("memory: no frame for the kernel's root page table");
        }
        s_mapper = new Mapper<KernelPhysicalMemory, KernelTlb>(default, default, s_frameSource, root, SupportedPageFeatures());
        Require(s_mapper.PopulateUpperHalf(), "sharing the upper half");
        MapDirectMap();
        MapKernelImage();

        Cpu.WriteCr4(Cpu.ReadCr4() | (CpuFeatures.HasGlobalPages ? Cr4.GlobalPages : 0));
        KernelTlb.Activate(root);
        PhysicalMemory.UseDirectMap(KernelLayout.DirectMapBase);
        s_frameSource.HighestZone = ZoneId.Normal;
        EnableSupervisorProtections();

        CreateKernelHeap();
        ObjectAllocator.UseKernelHeap(s_heap);
        s_pebbles = new PebbleAllocator<KernelPhysicalMemory, KernelTlb, KernelInterruptLock>(
            s_frames, default, default, s_mapper, KernelLayout.PebbleVirtualBase, KernelLayout.PebbleVirtualSize);
    }

    private static void BuildMemoryMap()
    {
        s_map = new MemoryMap();
        for (int i = 0; i < Multiboot.MemoryMapCount; i++)
        {
            Multiboot.MemoryMapEntry* entry = Multiboot.GetMemoryMapEntry(i);
            s_map.AddFirmwareEntry(entry->Base, entry->Length, entry->Type);
        }
        s_map.ReserveFirstMiB();
        s_map.Reserve(s_image.PhysicalStart, s_image.PhysicalEnd - s_image.PhysicalStart, MemoryRegionKind.KernelImage);
        s_map.Reserve(Multiboot.InfoAddress, Multiboot.InfoSize, MemoryRegionKind.BootInformation);
        for (int i = 0; i < Multiboot.ModuleCount; i++)
        {
            Multiboot.Module* module = Multiboot.GetModule(i);
            s_map.Reserve(module->Start, module->End - module->Start, MemoryRegionKind.BootModule);
        }
    }

    private static void RefuseToRun()
    {
        Console.WriteLine();
        Console.Write("memory: not enough RAM to run. ", ConsoleColor.LightRed);
        Console.Write("After the kernel image and boot data, ");
        Console.WriteDecimal(s_map.UsableBytes / MemConstants.KiB);
        Console.WriteLine(" KiB are usable;");
        Console.Write("this kernel needs at least ");
        Console.WriteDecimal(MinimumUsableBytes / MemConstants.MiB);
        Console.Write(" MiB usable, ");
        Console.WriteDecimal((MinimumUsableBytes - s_map.UsableBytes + MemConstants.KiB - 1) / MemConstants.KiB);
        Console.WriteLine(" KiB more.");
        Console.Write("Give the machine at least ");
        Console.WriteDecimal(MinimumRamMiB);
        Console.Write(" MiB of RAM (QEMU: -m ");
        Console.WriteDecimal(MinimumRamMiB);
        Console.WriteLine("M or more).");
        Console.WriteLine("system halted.");
        if (Multiboot.HasOption("panic=exit"))
        {
            QemuExit.Fail();
        }
        Cpu.HaltForever();
    }

    /// <summary>Highest end of usable RAM: the direct map covers up to here.</summary>
    public static ulong HighestUsableAddress()
    {
        ulong highest = 0;
        for (int i = 0; i < s_map.Count; i++)
        {
            MemoryRegion region = s_map[i];
            if (region.Kind != MemoryRegionKind.Reserved && region.Kind != MemoryRegionKind.BadRam && region.End > highest)
            {
                highest = region.End;
            }
        }
        return highest;
    }

    /// <summary>
    /// The feature-dependent page flags this CPU has: the mapper drops the others, so that no mapping sets
    /// bit 63 without NX (EFER.NXE is on exactly when CPUID reports NX) or a PAT bit without PAT.
    /// </summary>
    private static PageFlags SupportedPageFeatures()
    {
        PageFlags supported = PageFlags.None;
        if (CpuFeatures.HasNoExecute)
        {
            supported |= PageFlags.NoExecute;
        }
        if (CpuFeatures.HasPat)
        {
            supported |= PageFlags.Pat;
        }
        if (CpuFeatures.HasGlobalPages)
        {
            supported |= PageFlags.Global;
        }
        return supported;
    }

    private static PageFlags DataFlags(bool global)
    {
        PageFlags flags = PageFlags.Writable;
        if (CpuFeatures.HasNoExecute)
        {
            flags |= PageFlags.NoExecute;
        }
        if (global && CpuFeatures.HasGlobalPages)
        {
            flags |= PageFlags.Global;
        }
        return flags;
    }

    /// <summary>
    /// Maps physical [0, max(highest RAM, 4 GiB)) at the direct-map base with 2 MiB pages: all RAM plus
    /// the low MMIO and firmware tables (VGA, ACPI) below 4 GiB. Data only: writable, never executable.
    /// The 2 MiB pages that hold the kernel image use 4 KiB pages instead, so the image's code and
    /// read-only data are read-only through this alias too (W^X must hold for every mapping of a frame,
    /// as Linux keeps the direct map of its text read-only).
    /// </summary>
    private static void MapDirectMap()
    {
        ulong end = HighestUsableAddress();
        if (end < 4 * MemConstants.GiB)
        {
            end = 4 * MemConstants.GiB;
        }
        end = MemConstants.AlignUp(end, MemConstants.LargePageSize);
        s_directMapSize = end;
        PageFlags data = DataFlags(global: true);
        ulong imageLow = ImageDirectMapLow;
        ulong imageHigh = ImageDirectMapHigh;
        if (imageLow > 0)
        {
            Require(s_mapper.MapRange(KernelLayout.DirectMapBase, 0, imageLow / MemConstants.LargePageSize, data, PageSize.Size2MiB), "the direct map");
        }
        PageFlags readOnly = data & ~PageFlags.Writable;
        for (ulong frame = imageLow; frame < imageHigh; frame += MemConstants.PageSize)
        {
            PageFlags flags = IsReadOnlyImageFrame(frame) ? readOnly : data;
            Require(s_mapper.Map(KernelLayout.DirectMapBase + frame, frame, flags, PageSize.Size4KiB), "the direct map of the kernel image");
        }
        Require(s_mapper.MapRange(KernelLayout.DirectMapBase + imageHigh, imageHigh, (end - imageHigh) / MemConstants.LargePageSize, data, PageSize.Size2MiB), "the direct map");
    }

    /// <summary>Whether the direct-map alias of physical <paramref name="frame"/> is the kernel's code or read-only data.</summary>
    public static bool IsReadOnlyImageFrame(ulong frame)
    {
        return frame >= s_image.PhysicalOf(s_image.TextStart) && frame < MemConstants.AlignUp(s_image.PhysicalOf(s_image.ReadOnlyEnd), MemConstants.PageSize);
    }

    /// <summary>The 2 MiB-aligned physical range whose direct map uses 4 KiB pages (it holds the image).</summary>
    public static ulong ImageDirectMapLow => MemConstants.AlignDown(s_image.PhysicalStart, MemConstants.LargePageSize);

    public static ulong ImageDirectMapHigh => MemConstants.AlignUp(s_image.PhysicalEnd, MemConstants.LargePageSize);

    /// <summary>
    /// Maps the image at -2 GiB with 4 KiB pages and W^X: code read-execute, read-only data read-only and
    /// no-execute, data and .bss writable and no-execute. The guard pages under the kernel stacks stay
    /// unmapped; the 32-bit boot stub and its temporary tables are not mapped at all.
    /// </summary>
    private static void MapKernelImage()
    {
        PageFlags global = CpuFeatures.HasGlobalPages ? PageFlags.Global : PageFlags.None;
        PageFlags noExecute = CpuFeatures.HasNoExecute ? PageFlags.NoExecute : PageFlags.None;
        MapImageRange(s_image.TextStart, s_image.TextEnd, global);
        MapImageRange(s_image.ReadOnlyStart, s_image.ReadOnlyEnd, global | noExecute);
        MapImageRange(s_image.DataStart, s_image.VirtualEnd, DataFlags(global: true));
    }

    private static void MapImageRange(ulong start, ulong end, PageFlags flags)
    {
        end = MemConstants.AlignUp(end, MemConstants.PageSize);
        for (ulong page = start; page < end; page += MemConstants.PageSize)
        {
            if (KernelStacks.IsGuardPage(page))
            {
                continue;
            }
            Require(s_mapper.Map(page, s_image.PhysicalOf(page), flags, PageSize.Size4KiB), "the kernel image");
        }
    }

    /// <summary>
    /// Maps a framebuffer of <paramref name="size"/> bytes at <paramref name="physical"/> at
    /// <see cref="KernelLayout.FramebufferBase"/> and returns where its first byte is: device memory, so
    /// cache-disabled (PCD: the PAT's UC-, which the firmware's MTRRs may turn into write-combining), writable,
    /// no-execute, kernel-only, global. Null, with a message, when it does not fit its region (its user then
    /// keeps reaching it through the direct map, if at all).
    /// </summary>
    public static byte* MapFramebuffer(ulong physical, ulong size)
    {
        ulong start = MemConstants.AlignDown(physical, MemConstants.PageSize);
        ulong end = MemConstants.AlignUp(physical + size, MemConstants.PageSize);
        if (end - start > KernelLayout.FramebufferMaximumSize)
        {
            Console.WriteLine("memory: the framebuffer is larger than its region; it stays unmapped");
            return null;
        }
        PageFlags flags = DataFlags(global: true) | PageFlags.CacheDisable;
        Require(s_mapper.MapRange(KernelLayout.FramebufferBase, start, (end - start) / MemConstants.PageSize, flags, PageSize.Size4KiB), "the framebuffer");
        UncacheDirectMapAlias(start, end);
        return (byte*)(KernelLayout.FramebufferBase + (physical - start));
    }

    /// <summary>
    /// The direct map covers the framebuffer too (it maps all of the first 4 GiB): its 2 MiB pages over
    /// [<paramref name="start"/>, <paramref name="end"/>) get the framebuffer's memory type, cache-disabled,
    /// as the SDM asks of every mapping of one frame (11.12.4: no aliases with different memory types).
    /// </summary>
    private static void UncacheDirectMapAlias(ulong start, ulong end)
    {
        ulong first = MemConstants.AlignDown(start, MemConstants.LargePageSize);
        ulong last = MemConstants.AlignUp(end, MemConstants.LargePageSize);
        for (ulong page = first; page < last && page < s_directMapSize; page += MemConstants.LargePageSize)
        {
            if (page >= ImageDirectMapLow && page < ImageDirectMapHigh)
            {
                continue;
            }
            Require(s_mapper.Protect(KernelLayout.DirectMapBase + page, PageSize.Size2MiB, DataFlags(global: true) | PageFlags.CacheDisable),
                "the direct map of the framebuffer");
        }
    }

    private static void EnableSupervisorProtections()
    {
        ulong cr4 = Cpu.ReadCr4();
        if (CpuFeatures.HasSmep)
        {
            cr4 |= Cr4.Smep;
        }
        if (CpuFeatures.HasSmap)
        {
            cr4 |= Cr4.Smap;
        }
        Cpu.WriteCr4(cr4);
        if (CpuFeatures.HasSmap)
        {
            UserAccess.UseSmap();
        }
    }

    /// <summary>
    /// The heap's virtual range scales with RAM (16 MiB to 1 GiB); its block area is an eighth of it, at
    /// most the FOS 32 MiB. Its metadata is mapped from ordinary frames just above the heap region.
    /// </summary>
    private static void CreateKernelHeap()
    {
        ulong usable = MemConstants.AlignDown(s_map.UsableBytes, MemConstants.LargePageSize);
        ulong size = usable < MinimumHeapSize ? MinimumHeapSize : usable;
        if (size > KernelLayout.KernelHeapMaximumSize)
        {
            size = KernelLayout.KernelHeapMaximumSize;
        }
        ulong blockArea = MemConstants.AlignDown(size / 8, MemConstants.PageSize);
        if (blockArea > KernelHeapLayout.MaximumBlockAreaSize)
        {
            blockArea = KernelHeapLayout.MaximumBlockAreaSize;
        }
        var layout = new KernelHeapLayout(KernelLayout.KernelHeapBase, size, blockArea);
        s_heapLayout = layout;
        if (!layout.IsValid)
        {
            Panic.Fail("memory: invalid kernel heap layout");
        }
        ulong metadataBytes = KernelHeap<KernelPhysicalMemory, KernelTlb>.MetadataBytes(layout);
        ulong metadataPages = MemConstants.AlignUp(metadataBytes, MemConstants.PageSize) / MemConstants.PageSize;
        for (ulong i = 0; i < metadataPages; i++)
        {
            if (!s_frameSource.TryAllocateFrame(out ulong frame))
            {
                Panic.Fail("memory: out of frames for the kernel heap's metadata");
            }
            Require(s_mapper.Map(KernelLayout.KernelHeapMetadataBase + i * MemConstants.PageSize, frame, DataFlags(global: true), PageSize.Size4KiB), "the heap metadata");
            System.Runtime.RuntimeExports.memset((byte*)PhysicalMemory.ToVirtual(frame), 0, (nuint)MemConstants.PageSize);
        }
        if (KernelHeap<KernelPhysicalMemory, KernelTlb>.Create(
            s_mapper, s_frameSource, layout, (byte*)KernelLayout.KernelHeapMetadataBase, metadataBytes, out s_heap) != KernelHeapCreateStatus.Ok)
        {
            Panic.Fail("memory: the kernel heap refused its layout or metadata");
        }
    }

    private static void Require(PagingStatus status, string what)
    {
        if (status != PagingStatus.Success)
        {
            Console.Write("memory: mapping failed while building ");
            Console.Write(what);
            Console.Write(": status ");
            Console.WriteDecimal((ulong)status);
            Console.WriteLine();
            Panic.Fail("memory: cannot build the kernel's page tables");
        }
    }
}
