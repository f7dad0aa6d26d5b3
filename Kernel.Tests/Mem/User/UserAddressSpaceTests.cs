using System;
using System.Text;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Kernel.Tests.Emulation;
using Kernel.Tests.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.User;

public sealed unsafe class UserAddressSpaceTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture(frames: 512);
    private readonly int _baseline;

    public UserAddressSpaceTests()
    {
        Assert.Equal(PagingStatus.Success, _machine.Mapper.PopulateUpperHalf());
        _baseline = _machine.Frames.Outstanding;
    }

    public void Dispose() => _machine.Dispose();

    private UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> Create(bool noExecute = true)
    {
        PageFlags features = noExecute ? PageFlags.NoExecute | PageFlags.Global | PageFlags.Pat : PageFlags.Global | PageFlags.Pat;
        PagingStatus status = UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.Create(
            _machine.Ram.Memory, new RecordingTlb(_machine.Tlb), _machine.Frames, _machine.Root, features, out var space);
        Assert.Equal(PagingStatus.Success, status);
        return space;
    }

    private static ElfImage Parse(byte[] bytes, byte* pinned)
    {
        Assert.Equal(ElfStatus.Ok, ElfImage.Parse(pinned, (ulong)bytes.Length, out ElfImage image));
        return image;
    }

    private byte ReadUser(UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> space, ulong address)
    {
        Assert.Equal(PagingStatus.Success, space.Mapper.Translate(address, out Translation translation));
        return *_machine.Ram.Memory.Access(translation.PhysicalAddress);
    }

    private ulong ReadUserWord(UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> space, ulong address)
    {
        ulong value = 0;
        for (int i = 7; i >= 0; i--)
        {
            value = value << 8 | ReadUser(space, address + (ulong)i);
        }
        return value;
    }

    [Fact]
    public void A_new_address_space_shares_the_kernel_half_and_holds_only_its_root()
    {
        var space = Create();

        Assert.Equal(1UL, space.TableFrames);
        Assert.Equal(0UL, space.ResidentPages);
        Assert.Equal(_baseline + 1, _machine.Frames.Outstanding);
        ulong[] kernel = _machine.ReadTable(_machine.Root);
        ulong[] user = _machine.ReadTable(space.RootTable);
        for (int i = 0; i < 512; i++)
        {
            Assert.Equal(i >= 256 ? kernel[i] : 0UL, user[i]);
        }

        space.Destroy();
        Assert.Equal(_baseline, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Loading_an_image_maps_each_segment_with_its_rights_its_bytes_and_zeroed_bss()
    {
        byte[] bytes = ElfBuilder.Typical().Build();
        var space = Create();
        fixed (byte* data = bytes)
        {
            ElfImage image = Parse(bytes, data);
            Assert.Equal(PagingStatus.Success, space.LoadImage(image));
            Assert.Equal(image.PageCount, space.ResidentPages);
        }

        Assert.Equal(PagingStatus.Success, space.Mapper.Translate(ElfBuilder.TextAddress, out Translation text));
        Assert.Equal(PageFlags.User, text.Flags & (PageFlags.User | PageFlags.Writable | PageFlags.NoExecute));
        Assert.Equal(PagingStatus.Success, space.Mapper.Translate(ElfBuilder.RodataAddress, out Translation rodata));
        Assert.Equal(PageFlags.User | PageFlags.NoExecute, rodata.Flags & (PageFlags.User | PageFlags.Writable | PageFlags.NoExecute));
        Assert.Equal(PagingStatus.Success, space.Mapper.Translate(ElfBuilder.DataAddress + 0x2000, out Translation bss));
        Assert.Equal(PageFlags.User | PageFlags.Writable | PageFlags.NoExecute, bss.Flags & (PageFlags.User | PageFlags.Writable | PageFlags.NoExecute));

        byte[] textBytes = ElfBuilder.Pattern(0x1800, 0x11);
        for (int i = 0; i < textBytes.Length; i += 0x1FF)
        {
            Assert.Equal(textBytes[i], ReadUser(space, ElfBuilder.TextAddress + (ulong)i));
        }
        // The rest of the text's second page, and everything past the data's file bytes, is zero.
        Assert.Equal(0, ReadUser(space, ElfBuilder.TextAddress + 0x1800));
        Assert.Equal(ElfBuilder.Pattern(0x40, 0x33)[0x3F], ReadUser(space, ElfBuilder.DataAddress + 0x3F));
        Assert.Equal(0, ReadUser(space, ElfBuilder.DataAddress + 0x40));
        Assert.Equal(0, ReadUser(space, ElfBuilder.DataAddress + 0x203F));
        Assert.Equal(PagingStatus.NotMapped, space.Mapper.Translate(ElfBuilder.DataAddress + 0x3000, out _));

        space.Destroy();
        Assert.Equal(_baseline, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Without_nx_no_entry_carries_bit_63()
    {
        byte[] bytes = ElfBuilder.Typical().Build();
        var space = Create(noExecute: false);
        fixed (byte* data = bytes)
        {
            Assert.Equal(PagingStatus.Success, space.LoadImage(Parse(bytes, data)));
        }
        byte* name = stackalloc byte[1] { (byte)'x' };
        ulong length = 1;
        Assert.Equal(PagingStatus.Success, space.SetUpStack(&name, &length, 1, out _));

        int entries = 0;
        foreach (ulong table in ReachableFrom(space.RootTable))
        {
            foreach (ulong entry in _machine.ReadTable(table))
            {
                Assert.Equal(0UL, entry & PageTableEntry.NoExecuteBit);
                entries += entry != 0 ? 1 : 0;
            }
        }
        Assert.True(entries > 20);
        Assert.Equal(PagingStatus.Success, space.Mapper.Translate(ElfBuilder.DataAddress, out Translation dataPage));
        Assert.Equal(PageFlags.None, dataPage.Flags & PageFlags.NoExecute);
        space.Destroy();
    }

    /// <summary>The root and every table below its lower half (the process's own tables).</summary>
    private System.Collections.Generic.List<ulong> ReachableFrom(ulong root)
    {
        var tables = new System.Collections.Generic.List<ulong>();
        Collect(root, 4, tables);
        return tables;
    }

    private void Collect(ulong table, int level, System.Collections.Generic.List<ulong> tables)
    {
        tables.Add(table);
        if (level == 1)
        {
            return;
        }
        ulong[] entries = _machine.ReadTable(table);
        for (int i = 0; i < (level == 4 ? 256 : 512); i++)
        {
            if ((entries[i] & PageTableEntry.PresentBit) != 0 && (entries[i] & PageTableEntry.HugeBit) == 0)
            {
                Collect(entries[i] & PageTableEntry.AddressMask, level - 1, tables);
            }
        }
    }

    [Fact]
    public void The_stack_holds_argc_argv_and_the_strings_as_a_linux_process_finds_them_above_a_guard_page()
    {
        var space = Create();
        string[] arguments = { "hello", "a", "" , "last argument" };
        byte[][] encoded = Array.ConvertAll(arguments, Encoding.ASCII.GetBytes);
        ulong stackPointer = SetUpStack(space, encoded);

        Assert.Equal(0UL, stackPointer % 16);
        Assert.True(stackPointer < UserLayout.StackTop && stackPointer >= UserLayout.StackBottom);
        Assert.Equal((ulong)arguments.Length, ReadUserWord(space, stackPointer));
        for (int i = 0; i < arguments.Length; i++)
        {
            ulong pointer = ReadUserWord(space, stackPointer + 8 + (ulong)i * 8);
            Assert.True(pointer > stackPointer && pointer < UserLayout.StackTop);
            var text = new StringBuilder();
            for (ulong at = pointer; ReadUser(space, at) != 0; at++)
            {
                text.Append((char)ReadUser(space, at));
            }
            Assert.Equal(arguments[i], text.ToString());
        }
        ulong after = stackPointer + 8 + (ulong)arguments.Length * 8;
        Assert.Equal(0UL, ReadUserWord(space, after));      // argv's terminator
        Assert.Equal(0UL, ReadUserWord(space, after + 8));  // empty environment
        Assert.Equal(0UL, ReadUserWord(space, after + 16)); // AT_NULL

        Assert.True(space.Mapper.TryGetReservation(UserLayout.StackGuard, out PageFlags marks));
        Assert.Equal(PageFlags.Guard, marks);
        // Only the page the arguments went to is backed; the rest of the stack is reserved, backed on first touch.
        Assert.Equal(1UL, space.ResidentPages);
        Assert.True(space.Mapper.TryGetReservation(UserLayout.StackBottom, out PageFlags stackMarks));
        Assert.Equal(PageFlags.UserHeapReserved, stackMarks);
        Assert.Equal(PagingStatus.NotMapped, space.Mapper.Translate(UserLayout.StackTop, out _));

        space.Destroy();
        Assert.Equal(_baseline, _machine.Frames.Outstanding);
    }

    private static ulong SetUpStack(UserAddressSpace<EmulatedRam.Accessor, RecordingTlb> space, byte[][] arguments, PagingStatus expected = PagingStatus.Success)
    {
        var handles = new System.Runtime.InteropServices.GCHandle[arguments.Length];
        byte** pointers = stackalloc byte*[arguments.Length + 1];
        ulong* lengths = stackalloc ulong[arguments.Length + 1];
        for (int i = 0; i < arguments.Length; i++)
        {
            handles[i] = System.Runtime.InteropServices.GCHandle.Alloc(arguments[i], System.Runtime.InteropServices.GCHandleType.Pinned);
            pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
            lengths[i] = (ulong)arguments[i].Length;
        }
        try
        {
            Assert.Equal(expected, space.SetUpStack(pointers, lengths, arguments.Length, out ulong stackPointer));
            return stackPointer;
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Free();
            }
        }
    }

    [Fact]
    public void Arguments_larger_than_the_limit_are_refused_before_anything_is_mapped()
    {
        var space = Create();
        byte[][] arguments = { new byte[UserAddressSpace<EmulatedRam.Accessor, RecordingTlb>.MaxArgumentBytes] };

        SetUpStack(space, arguments, PagingStatus.InvalidRange);

        Assert.Equal(0UL, space.ResidentPages);
        Assert.Equal(1UL, space.TableFrames);
        space.Destroy();
        Assert.Equal(_baseline, _machine.Frames.Outstanding);
    }

    [Fact]
    public void Running_out_of_frames_at_any_point_of_loading_leaves_nothing_behind_after_destroy()
    {
        byte[] bytes = ElfBuilder.Typical().Build();
        fixed (byte* data = bytes)
        {
            ElfImage image = Parse(bytes, data);
            for (int allowed = 1; allowed < 16; allowed++)
            {
                var space = Create();
                _machine.Frames.AllowOnly(allowed);
                PagingStatus status = space.LoadImage(image);
                _machine.Frames.Limit = null;
                Assert.True(status == PagingStatus.OutOfFrames || status == PagingStatus.Success);
                Assert.Equal(_baseline + (int)(space.ResidentPages + space.TableFrames), _machine.Frames.Outstanding);
                space.Destroy();
                Assert.Equal(_baseline, _machine.Frames.Outstanding);
            }
        }
    }

    [Fact]
    public void Destroy_reports_one_full_flush_of_its_own_address_space_and_counts_every_table()
    {
        byte[] bytes = ElfBuilder.Typical().Build();
        var space = Create();
        fixed (byte* data = bytes)
        {
            Assert.Equal(PagingStatus.Success, space.LoadImage(Parse(bytes, data)));
        }
        Assert.Equal(PagingStatus.Success, space.MapZeroed(UserLayout.HeapBase, 4));
        ulong root = space.RootTable;
        // Image and heap share a PDPT (both below 4 GiB) but need a PD and a PT each: root, PDPT, 2 PDs... the
        // image at 4 MiB and the heap at 2 GiB lie in different PDPT entries, so two PDs and two PTs.
        Assert.Equal(1UL + 1 + 2 + 2, space.TableFrames);
        _machine.Tlb.Clear();

        space.Destroy();

        Assert.Equal(new[] { root }, _machine.Tlb.FullFlushRoots.ToArray());
        Assert.Equal(0UL, space.TableFrames);
        Assert.Equal(0UL, space.ResidentPages);
        Assert.Equal(0UL, space.RootTable);
        Assert.Equal(_baseline, _machine.Frames.Outstanding);
        space.Destroy();
        Assert.Equal(_baseline, _machine.Frames.Outstanding);
    }
}
