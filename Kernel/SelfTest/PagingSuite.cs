using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Boot;
using Kernel.Drivers;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// The kernel's own page tables under the running CPU: a scratch page maps, translates, is usable and
/// faults once unmapped; page 0 and the boot identity map are gone; the image is W^X page by page (text
/// read-execute, read-only data and data no-execute, the stack guard pages unmapped), and the CPU
/// really refuses a write to text or read-only data and an instruction fetch from data or the direct
/// map; CR4's SMEP/SMAP follow CPUID; and every frame, page tables included, is back at the end.
/// </summary>
internal sealed unsafe class PagingSuite : SelfTestSuite
{
    // The page-fault error code bits, as the raw word the fault probe and the classifier take.
    private const ulong FaultPresent = (ulong)PageFaultErrorCode.Present;
    private const ulong FaultWrite = (ulong)PageFaultErrorCode.Write;
    private const ulong FaultUser = (ulong)PageFaultErrorCode.User;
    private const ulong FaultInstructionFetch = (ulong)PageFaultErrorCode.InstructionFetch;

    private const ulong RflagsAlignmentCheck = 1UL << 18;

    private const byte ReturnInstruction = 0xC3;
    private const byte ScratchPattern = 0x5A;
    private const ulong ScratchOffset = 0x123;

    // A fresh 1 GiB region below an existing upper-half PDPT: mapping one page there creates a page
    // directory and a page table, and unmapping it releases both.
    private const ulong TablesForScratchPage = 2;

    public override string Name => "paging";

    public override void Run(TestContext test)
    {
        ulong freeAtStart = MemoryManager.Frames.FreeFrames;
        ScratchPage(test);
        LowHalfIsUnmapped(test);
        ReadOnlyImageRefusesWrites(test);
        ExecuteRights(test);
        ImageIsWriteXorExecute(test);
        StackGuardsAreUnmapped(test);
        DirectMapIsNoExecute(test);
        ControlRegisters(test);
        FaultClassification(test);
        test.CheckEqual(freeAtStart, MemoryManager.Frames.FreeFrames, "no_frame_or_page_table_leaked");
        Console.Write("paging: free frames before ");
        Console.WriteDecimal(freeAtStart);
        Console.Write(", after ");
        Console.WriteDecimal(MemoryManager.Frames.FreeFrames);
        Console.WriteLine();
    }

    /// <summary>
    /// Maps a real frame at <see cref="KernelLayout.SelfTestScratchPage"/> through the kernel's mapper,
    /// uses it, unmaps it, and checks that the CPU then faults on it as not present.
    /// </summary>
    private static void ScratchPage(TestContext test)
    {
        Mapper<KernelPhysicalMemory, KernelTlb> mapper = MemoryManager.Mapper;
        const ulong Page = KernelLayout.SelfTestScratchPage;
        ulong free = MemoryManager.Frames.FreeFrames;
        test.Check(mapper.Translate(Page, out _) == PagingStatus.NotMapped, "scratch_page_starts_unmapped", "the scratch address is already mapped");
        if (!MemoryManager.FrameSource.TryAllocateFrame(out ulong frame))
        {
            test.Check(false, "scratch_frame_is_available", "no frame");
            return;
        }
        PageFlags flags = PageFlags.Writable | (CpuFeatures.HasNoExecute ? PageFlags.NoExecute : PageFlags.None);
        PagingStatus mapped = mapper.Map(Page, frame, flags, PageSize.Size4KiB);
        test.Check(mapped == PagingStatus.Success, "scratch_page_maps", "Map failed");
        if (mapped != PagingStatus.Success)
        {
            MemoryManager.FrameSource.FreeFrame(frame);
            return;
        }
        test.CheckEqual(free - 1 - TablesForScratchPage, MemoryManager.Frames.FreeFrames, "scratch_map_takes_the_frame_and_two_page_tables");

        bool translated = mapper.Translate(Page + ScratchOffset, out Translation translation) == PagingStatus.Success
            && translation.PhysicalAddress == frame + ScratchOffset
            && translation.Size == PageSize.Size4KiB
            && (translation.Flags & PageFlags.Writable) != 0
            && (translation.Flags & PageFlags.User) == 0
            && (translation.Flags & PageFlags.NoExecute) == (flags & PageFlags.NoExecute);
        test.Check(translated, "scratch_page_translates_to_its_frame_with_its_flags", "wrong frame, size or flags");

        bool written = FaultProbe.TryWrite(Page + ScratchOffset, ScratchPattern);
        bool read = FaultProbe.TryRead(Page + ScratchOffset, out byte value) && value == ScratchPattern;
        bool sameFrame = *(byte*)PhysicalMemory.ToVirtual(frame + ScratchOffset) == ScratchPattern;
        test.Check(written && read && sameFrame, "scratch_page_is_readable_and_writable", "probe faulted, or the byte did not reach the frame");

        if (CpuFeatures.HasNoExecute)
        {
            *(byte*)(Page + ScratchOffset) = ReturnInstruction;
            bool executed = FaultProbe.TryExecute(Page + ScratchOffset);
            test.Check(!executed && FaultProbe.LastVector == ExceptionVector.PageFault
                && FaultProbe.LastErrorCode == (FaultPresent | FaultInstructionFetch) && FaultProbe.LastFaultAddress == Page + ScratchOffset,
                "executing_a_no_execute_data_page_faults_as_instruction_fetch", "the ret ran, or the fault was not present+fetch at the page");
        }

        PagingStatus unmapped = mapper.Unmap(Page, PageSize.Size4KiB, out ulong returned);
        test.Check(unmapped == PagingStatus.Success && returned == frame, "scratch_page_unmaps_and_returns_its_frame", "Unmap failed or named another frame");
        test.Check(mapper.Translate(Page + ScratchOffset, out _) == PagingStatus.NotMapped, "unmapped_page_no_longer_translates", "still translates");
        bool readFaults = !FaultProbe.TryRead(Page + ScratchOffset, out _)
            && FaultProbe.LastVector == ExceptionVector.PageFault
            && (FaultProbe.LastErrorCode & FaultPresent) == 0
            && FaultProbe.LastFaultAddress == Page + ScratchOffset;
        test.Check(readFaults, "read_of_an_unmapped_page_faults_as_not_present", "read succeeded (stale TLB?) or wrong error code");
        bool writeFaults = !FaultProbe.TryWrite(Page, ScratchPattern)
            && (FaultProbe.LastErrorCode & (FaultPresent | FaultWrite)) == FaultWrite;
        test.Check(writeFaults, "write_to_an_unmapped_page_faults_as_not_present_write", "write succeeded or wrong error code");
        mapper.Walk(Page, out PageWalk walk);
        test.Check(walk.StoppedAt == PageTableLevel.Pdpt && !walk.IsMapped, "unmap_releases_the_empty_page_tables", "the page directory or table of the scratch region is still there");
        MemoryManager.FrameSource.FreeFrame(frame);
        test.CheckEqual(free, MemoryManager.Frames.FreeFrames, "scratch_frames_and_tables_all_return");
    }

    /// <summary>Page 0 and the boot stub's identity map of low memory are not mapped any more.</summary>
    private static void LowHalfIsUnmapped(TestContext test)
    {
        bool pageZero = !FaultProbe.TryRead(0, out _) && (FaultProbe.LastErrorCode & FaultPresent) == 0
            && !FaultProbe.TryRead(MemConstants.PageSize - 1, out _)
            && !FaultProbe.TryWrite(0, 0) && (FaultProbe.LastErrorCode & (FaultPresent | FaultWrite)) == FaultWrite
            && MemoryManager.Mapper.Translate(0, out _) == PagingStatus.NotMapped;
        test.Check(pageZero, "page_zero_faults_on_read_and_write", "page 0 is reachable");
        ulong bootStub = MemoryManager.Image.PhysicalStart;
        bool identityGone = MemoryManager.Mapper.Translate(bootStub, out _) == PagingStatus.NotMapped
            && !FaultProbe.TryRead(bootStub, out _);
        test.Check(identityGone, "boot_identity_map_is_gone", "the boot stub's identity mapping still translates");
    }

    /// <summary>
    /// With CR0.WP a supervisor write to a read-only page faults as present+write: the first byte of
    /// .rodata and a byte in .text. The probe writes back the byte it read, so a missing protection
    /// would be reported without corrupting the image.
    /// </summary>
    private static void ReadOnlyImageRefusesWrites(TestContext test)
    {
        KernelImageLayout image = MemoryManager.Image;
        test.Check(RefusesWrite(image.ReadOnlyStart), "write_to_rodata_faults_as_present_write", "the write went through or the error code is not present+write");
        ulong inText = (ulong)(delegate*<void>)&ReturnAtOnce;
        test.Check(RefusesWrite(inText), "write_to_text_faults_as_present_write", "the write went through or the error code is not present+write");
    }

    private static bool RefusesWrite(ulong address)
    {
        if (!FaultProbe.TryRead(address, out byte original))
        {
            return false;
        }
        return !FaultProbe.TryWrite(address, original)
            && FaultProbe.LastVector == ExceptionVector.PageFault
            && (FaultProbe.LastErrorCode & (FaultPresent | FaultWrite | FaultUser | FaultInstructionFetch)) == (FaultPresent | FaultWrite)
            && FaultProbe.LastFaultAddress == address;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReturnAtOnce()
    {
    }

    /// <summary>A <c>ret</c> in .text runs; one in .rodata does not (fetch from a no-execute page).</summary>
    private static void ExecuteRights(TestContext test)
    {
        ulong ret = FindReturnInText();
        test.Check(ret != 0 && FaultProbe.TryExecute(ret), "a_ret_in_text_executes", "no ret byte found in .text, or calling it faulted");
        if (!CpuFeatures.HasNoExecute)
        {
            return;
        }
        ulong inReadOnly = FindByte(MemoryManager.Image.ReadOnlyStart, MemoryManager.Image.ReadOnlyEnd, ReturnInstruction);
        bool refused = inReadOnly != 0 && !FaultProbe.TryExecute(inReadOnly)
            && FaultProbe.LastErrorCode == (FaultPresent | FaultInstructionFetch);
        test.Check(refused, "a_ret_byte_in_rodata_does_not_execute", "no 0xC3 byte in .rodata, or the fetch did not fault as present+fetch");
    }

    /// <summary>
    /// An address in .text whose byte is 0xC3: an empty method when the compiler emitted it as a bare
    /// <c>ret</c>, else any such byte (calling it executes a <c>ret</c> whatever instruction it is part of).
    /// </summary>
    private static ulong FindReturnInText()
    {
        ulong method = (ulong)(delegate*<void>)&ReturnAtOnce;
        if (*(byte*)method == ReturnInstruction)
        {
            return method;
        }
        return FindByte(MemoryManager.Image.TextStart, MemoryManager.Image.TextEnd, ReturnInstruction);
    }

    private static ulong FindByte(ulong start, ulong end, byte value)
    {
        for (ulong address = start; address < end; address++)
        {
            if (*(byte*)address == value)
            {
                return address;
            }
        }
        return 0;
    }

    /// <summary>
    /// Every page from the start of .text to the end of the image, as the mapper sees it: mapped to its
    /// own frame, supervisor-only, never both writable and executable; text not writable, read-only data
    /// and data not executable, data writable. Only the stack guard pages may be unmapped.
    /// </summary>
    private static void ImageIsWriteXorExecute(TestContext test)
    {
        KernelImageLayout image = MemoryManager.Image;
        Mapper<KernelPhysicalMemory, KernelTlb> mapper = MemoryManager.Mapper;
        bool noExecute = CpuFeatures.HasNoExecute;
        ulong end = MemConstants.AlignUp(image.VirtualEnd, MemConstants.PageSize);
        ulong pages = 0;
        ulong guards = 0;
        ulong firstBad = 0;
        bool mappedRight = true;
        bool wxExclusive = true;
        bool textRight = true;
        bool readOnlyRight = true;
        bool dataRight = true;
        for (ulong page = image.TextStart; page < end; page += MemConstants.PageSize)
        {
            pages++;
            PagingStatus status = mapper.Translate(page, out Translation translation);
            if (KernelStacks.IsGuardPage(page))
            {
                guards++;
                mappedRight &= status == PagingStatus.NotMapped;
                continue;
            }
            bool writable = (translation.Flags & PageFlags.Writable) != 0;
            bool executable = (translation.Flags & PageFlags.NoExecute) == 0;
            bool ok = status == PagingStatus.Success && translation.Size == PageSize.Size4KiB
                && translation.PhysicalAddress == image.PhysicalOf(page) && (translation.Flags & PageFlags.User) == 0;
            mappedRight &= ok;
            bool wx = !(writable && executable) || !noExecute;
            wxExclusive &= wx;
            if (page < image.ReadOnlyStart)
            {
                bool text = !writable && executable;
                textRight &= text;
                ok &= text;
            }
            else if (page < image.DataStart)
            {
                bool readOnly = !writable && (executable == !noExecute);
                readOnlyRight &= readOnly;
                ok &= readOnly;
            }
            else
            {
                bool data = writable && (executable == !noExecute);
                dataRight &= data;
                ok &= data;
            }
            if ((!ok || !wx) && firstBad == 0)
            {
                firstBad = page;
            }
        }
        Console.Write("paging: image ");
        Console.WriteHex(image.TextStart);
        Console.Write("-");
        Console.WriteHex(end);
        Console.Write(", ");
        Console.WriteDecimal(pages);
        Console.Write(" pages walked, ");
        Console.WriteDecimal(guards);
        Console.WriteLine(" guard pages");
        if (firstBad != 0)
        {
            Console.Write("paging: first page with wrong rights: ");
            Console.WriteHex(firstBad);
            Console.WriteLine();
        }
        test.Check(mappedRight, "every_image_page_maps_its_own_frame_supervisor_only", "a page is unmapped, large, user-accessible or maps another frame");
        test.Check(wxExclusive, "no_image_page_is_writable_and_executable", "a page is both writable and executable");
        test.Check(textRight, "text_is_read_execute", "a text page is writable or no-execute");
        test.Check(readOnlyRight, "rodata_is_read_only_no_execute", "a read-only data page is writable or executable");
        test.Check(dataRight, "data_and_bss_are_read_write_no_execute", "a data page is read-only or executable");
        test.CheckEqual(2, guards, "walk_met_both_stack_guard_pages");
    }

    /// <summary>The pages under the boot and interrupt stacks are unmapped; the stacks above them are not.</summary>
    private static void StackGuardsAreUnmapped(TestContext test)
    {
        test.Check(IsGuard(KernelStacks.BootStackGuard()), "boot_stack_guard_page_faults", "the boot stack's guard page is mapped, or the stack above it is not");
        test.Check(IsGuard(KernelStacks.IstStackGuard()), "interrupt_stack_guard_page_faults", "the interrupt stack's guard page is mapped, or the stack above it is not");
    }

    private static bool IsGuard(ulong guard)
    {
        ulong top = guard + MemConstants.PageSize - 1;
        return MemoryManager.Mapper.Translate(guard, out _) == PagingStatus.NotMapped
            && !FaultProbe.TryRead(guard, out _) && (FaultProbe.LastErrorCode & FaultPresent) == 0
            && !FaultProbe.TryRead(top, out _)
            && FaultProbe.TryRead(top + 1, out _);
    }

    /// <summary>
    /// Every page of the direct map maps its own physical range supervisor-only and no-execute: 2 MiB
    /// pages, writable, except around the kernel image, where 4 KiB pages keep the image's code and
    /// read-only data read-only through this alias too. Fetching a <c>ret</c> through it faults, and so
    /// does writing to the kernel's code through it.
    /// </summary>
    private static void DirectMapIsNoExecute(TestContext test)
    {
        Mapper<KernelPhysicalMemory, KernelTlb> mapper = MemoryManager.Mapper;
        bool noExecute = CpuFeatures.HasNoExecute;
        bool allRight = true;
        ulong physical = 0;
        while (physical < MemoryManager.DirectMapSize)
        {
            bool image = physical >= MemoryManager.ImageDirectMapLow && physical < MemoryManager.ImageDirectMapHigh;
            PagingStatus status = mapper.Translate(KernelLayout.DirectMapBase + physical, out Translation translation);
            bool writable = (translation.Flags & PageFlags.Writable) != 0;
            allRight &= status == PagingStatus.Success
                && translation.PhysicalAddress == physical
                && translation.Size == (image ? PageSize.Size4KiB : PageSize.Size2MiB)
                && writable == !(image && MemoryManager.IsReadOnlyImageFrame(physical))
                && (translation.Flags & PageFlags.User) == 0
                && ((translation.Flags & PageFlags.NoExecute) != 0) == noExecute;
            physical += image ? MemConstants.PageSize : MemConstants.LargePageSize;
        }
        allRight &= mapper.Translate(KernelLayout.DirectMapBase + MemoryManager.DirectMapSize, out _) == PagingStatus.NotMapped;
        test.Check(allRight, "direct_map_is_no_execute_and_read_only_over_the_image", "a direct-map page maps the wrong frame, has the wrong rights or size, or the map runs on");
        ulong textAlias = PhysicalMemory.ToVirtual(MemoryManager.Image.PhysicalOf(MemoryManager.Image.TextStart));
        bool textProtected = FaultProbe.TryRead(textAlias, out byte original) && !FaultProbe.TryWrite(textAlias, original)
            && FaultProbe.LastErrorCode == (FaultPresent | FaultWrite);
        test.Check(textProtected, "kernel_code_is_read_only_through_the_direct_map", "a write to the direct-map alias of .text did not fault as present+write");
        if (!noExecute)
        {
            return;
        }
        if (!MemoryManager.FrameSource.TryAllocateFrame(out ulong frame))
        {
            test.Check(false, "direct_map_refuses_instruction_fetch", "no frame");
            return;
        }
        ulong alias = PhysicalMemory.ToVirtual(frame);
        *(byte*)alias = ReturnInstruction;
        bool refused = !FaultProbe.TryExecute(alias) && FaultProbe.LastErrorCode == (FaultPresent | FaultInstructionFetch)
            && FaultProbe.LastFaultAddress == alias;
        MemoryManager.FrameSource.FreeFrame(frame);
        test.Check(refused, "direct_map_refuses_instruction_fetch", "a ret in the direct map ran, or the fault was not present+fetch");
    }

    /// <summary>
    /// The panic screen's names for page faults, from synthetic (address, error code, RSP, RFLAGS, CR4): a
    /// guard page is an overflow only with RSP at it; a supervisor protection fault on a user page is SMAP
    /// only for a data access with CR4.SMAP on and RFLAGS.AC clear, SMEP only for a fetch with CR4.SMEP on,
    /// and otherwise named by the page's own rights; upper-half protection faults name the missing right.
    /// </summary>
    private static void FaultClassification(TestContext test)
    {
        const ulong UserPage = 0x40_0000;
        const ulong Both = Cr4.Smep | Cr4.Smap;
        ulong guard = KernelStacks.BootStackGuard();
        ulong imageData = MemoryManager.Image.DataStart;
        test.Check(PageFaultClassifier.Classify(guard + MemConstants.PageSize - 8, FaultWrite, guard + MemConstants.PageSize, 0, Both) == "page fault: kernel stack overflow (guard page hit)",
            "classify.guard_hit_with_rsp_at_the_guard_is_an_overflow", "not named a stack overflow");
        test.Check(PageFaultClassifier.Classify(guard + 8, 0, KernelLayout.DirectMapBase, 0, Both) == "page fault: access to a stack guard page (not by the stack pointer)",
            "classify.guard_hit_with_rsp_elsewhere_is_not_an_overflow", "a stray guard-page read was called an overflow");
        test.Check(PageFaultClassifier.Classify(UserPage, FaultPresent, imageData, 0, Cr4.Smap) == "page fault: supervisor access to a user page (SMAP)"
            && PageFaultClassifier.Classify(UserPage, FaultPresent | FaultWrite, imageData, 0, Cr4.Smap) == "page fault: supervisor access to a user page (SMAP)",
            "classify.supervisor_data_access_to_a_user_page_with_smap_on_is_smap", "not named SMAP");
        test.Check(PageFaultClassifier.Classify(UserPage, FaultPresent | FaultWrite, imageData, 0, Cr4.Smep) == "page fault: write to a read-only page"
            && PageFaultClassifier.Classify(UserPage, FaultPresent | FaultWrite, imageData, RflagsAlignmentCheck, Both) == "page fault: write to a read-only page",
            "classify.without_smap_or_with_ac_set_a_supervisor_write_to_a_user_page_is_not_smap", "named SMAP without SMAP in force");
        test.Check(PageFaultClassifier.Classify(UserPage, FaultPresent | FaultInstructionFetch, imageData, 0, Cr4.Smep) == "page fault: instruction fetch from a user page (SMEP)",
            "classify.supervisor_fetch_from_a_user_page_with_smep_on_is_smep", "not named SMEP");
        test.Check(PageFaultClassifier.Classify(UserPage, FaultPresent | FaultInstructionFetch, imageData, 0, Cr4.Smap) == "page fault: execute of a no-execute page",
            "classify.without_smep_a_supervisor_fetch_from_a_user_page_is_no_execute", "named SMEP without SMEP on");
        test.Check(PageFaultClassifier.Classify(imageData, FaultPresent | FaultInstructionFetch, imageData, 0, Both) == "page fault: execute of a no-execute page"
            && PageFaultClassifier.Classify(MemoryManager.Image.ReadOnlyStart, FaultPresent | FaultWrite, imageData, 0, Both) == "page fault: write to a read-only page"
            && PageFaultClassifier.Classify(UserPage, 0, imageData, 0, Both) == "page fault: unmapped address",
            "classify.upper_half_rights_and_absent_pages", "NX, read-only or not-present named wrongly");
    }

    /// <summary>CR4's SMEP, SMAP and PGE are on exactly when CPUID offers them.</summary>
    private static void ControlRegisters(TestContext test)
    {
        ulong cr4 = Cpu.ReadCr4();
        test.Check(((cr4 & Cr4.Smep) != 0) == CpuFeatures.HasSmep, "cr4_smep_matches_cpuid", "CR4.SMEP differs from the CPUID bit");
        test.Check(((cr4 & Cr4.Smap) != 0) == CpuFeatures.HasSmap, "cr4_smap_matches_cpuid", "CR4.SMAP differs from the CPUID bit");
        test.Check(((cr4 & Cr4.GlobalPages) != 0) == CpuFeatures.HasGlobalPages, "cr4_pge_matches_cpuid", "CR4.PGE differs from the CPUID bit");
    }
}
