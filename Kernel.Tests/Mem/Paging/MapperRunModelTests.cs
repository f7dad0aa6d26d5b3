using System;
using System.Collections.Generic;
using System.Linq;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Paging;

/// <summary>
/// Random runs of MapPages, UnmapPages and ReserveRange (mixed with single-page Map, Unmap and Unreserve)
/// over windows of 1,536 pages that cross page-table, directory and 1 GiB boundaries, one window in each half,
/// checked step by step against a per-page model: every status is predicted, every page translates (or is
/// reserved) as the model says, the frames an unmap gives back are the ones mapped, every table's entry count
/// is right, a failed step changes nothing, and tearing everything down returns every page table.
/// </summary>
public sealed class MapperRunModelTests
{
    private const int WindowPages = 1536;
    private const int Sequences = 12;
    private const int Steps = 60;

    // 2 MiB below a 1 GiB boundary: a window spans three page tables in two directories.
    private static readonly ulong[] s_windows = { 0x0000_0000_3FE0_0000UL, 0xFFFF_8000_3FE0_0000UL };

    private enum Kind
    {
        Empty,
        Mapped,
        Reserved,
    }

    private struct Page
    {
        public Kind Kind;
        public ulong Frame;
        public PageFlags Marks;
    }

    [Fact]
    public void Random_runs_agree_with_a_per_page_model()
    {
        for (int sequence = 0; sequence < Sequences; sequence++)
        {
            RunSequence(new Random(7100 + sequence));
        }
    }

    private static void RunSequence(Random random)
    {
        using var machine = new PagingFixture(frames: 64);
        var model = new Page[s_windows.Length, WindowPages];
        int nextFrame = 0;
        for (int step = 0; step < Steps; step++)
        {
            int window = random.Next(s_windows.Length);
            bool upper = window == 1;
            int start = random.Next(WindowPages);
            int count = Math.Min(WindowPages - start, random.Next(1, 4) == 1 ? 1 : random.Next(1, 700));
            ulong va = s_windows[window] + (ulong)start * MemConstants.PageSize;
            string before = machine.Snapshot();
            PagingStatus expected;
            PagingStatus actual;
            string what;
            switch (random.Next(5))
            {
                case 0:
                case 1:
                {
                    PageFlags flags = PageFlags.Writable | (upper || random.Next(2) == 0 ? PageFlags.None : PageFlags.User);
                    ulong[] frames = Enumerable.Range(nextFrame, count).Select(PagingFixture.Frame).ToArray();
                    nextFrame += count;
                    what = $"MapPages(0x{va:x}, {count})";
                    expected = PredictMap(model, window, start, count);
                    actual = MapPages(machine, va, frames, flags);
                    if (expected == PagingStatus.Success)
                    {
                        for (int i = 0; i < count; i++)
                        {
                            ref Page page = ref model[window, start + i];
                            page = new Page { Kind = Kind.Mapped, Frame = frames[i], Marks = page.Marks & PageFlags.UserHeapReserved };
                        }
                    }
                    break;
                }
                case 2:
                {
                    what = $"UnmapPages(0x{va:x}, {count})";
                    ulong[] frames = new ulong[count];
                    expected = PagingStatus.Success;
                    actual = UnmapPages(machine, va, frames);
                    for (int i = 0; i < count; i++)
                    {
                        ref Page page = ref model[window, start + i];
                        Assert.True(page.Kind == Kind.Mapped ? frames[i] == page.Frame : frames[i] == 0, $"{what}: frame of page {i}");
                        if (page.Kind == Kind.Mapped)
                        {
                            page = page.Marks == PageFlags.None ? default : new Page { Kind = Kind.Reserved, Marks = page.Marks };
                        }
                    }
                    break;
                }
                case 3:
                {
                    PageFlags marks = upper || random.Next(3) == 0 ? PageFlags.Guard : PageFlags.UserHeapReserved;
                    what = $"ReserveRange(0x{va:x}, {count}, {marks})";
                    expected = PredictReserve(model, window, start, count);
                    actual = machine.Mapper.ReserveRange(va, (ulong)count, marks);
                    if (expected == PagingStatus.Success)
                    {
                        for (int i = 0; i < count; i++)
                        {
                            model[window, start + i] = new Page { Kind = Kind.Reserved, Marks = marks };
                        }
                    }
                    break;
                }
                default:
                {
                    ref Page page = ref model[window, start];
                    if (page.Kind == Kind.Mapped)
                    {
                        what = $"Unmap(0x{va:x})";
                        expected = PagingStatus.Success;
                        actual = machine.Mapper.Unmap(va, PageSize.Size4KiB, out ulong frame);
                        Assert.Equal(page.Frame, frame);
                        page = page.Marks == PageFlags.None ? default : new Page { Kind = Kind.Reserved, Marks = page.Marks };
                    }
                    else
                    {
                        what = $"Unreserve(0x{va:x})";
                        expected = page.Kind == Kind.Reserved ? PagingStatus.Success : PagingStatus.NotReserved;
                        actual = machine.Mapper.Unreserve(va);
                        page = default;
                    }
                    break;
                }
            }

            Assert.True(expected == actual, $"{what}: expected {expected}, got {actual}");
            if (actual != PagingStatus.Success)
            {
                Assert.Equal(before, machine.Snapshot());
            }
            Assert.True(machine.Mapper.VerifyEntryCounts(), $"{what}: entry counts");
            AssertAgrees(machine, model);
        }

        for (int window = 0; window < s_windows.Length; window++)
        {
            ulong[] frames = new ulong[WindowPages];
            Assert.Equal(PagingStatus.Success, UnmapPages(machine, s_windows[window], frames));
            for (int i = 0; i < WindowPages; i++)
            {
                ulong va = s_windows[window] + (ulong)i * MemConstants.PageSize;
                if (machine.Mapper.TryGetReservation(va, out _))
                {
                    Assert.Equal(PagingStatus.Success, machine.Mapper.Unreserve(va));
                }
            }
        }
        // The root, and the upper half's shared PDPT if the upper window was ever used.
        Assert.InRange(machine.Frames.Outstanding, 1, 2);
        Assert.Equal(0, machine.ReadTable(machine.Root).Take(VirtualAddressLayout.FirstUpperHalfPml4Index).Count(entry => entry != 0));
    }

    private static PagingStatus PredictMap(Page[,] model, int window, int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            if (model[window, i].Kind == Kind.Mapped)
            {
                return PagingStatus.AlreadyMapped;
            }
            if ((model[window, i].Marks & PageFlags.Guard) != 0)
            {
                return PagingStatus.AlreadyReserved;
            }
        }
        return PagingStatus.Success;
    }

    private static PagingStatus PredictReserve(Page[,] model, int window, int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            if (model[window, i].Kind != Kind.Empty)
            {
                return model[window, i].Kind == Kind.Mapped ? PagingStatus.AlreadyMapped : PagingStatus.AlreadyReserved;
            }
        }
        return PagingStatus.Success;
    }

    private static void AssertAgrees(PagingFixture machine, Page[,] model)
    {
        for (int window = 0; window < s_windows.Length; window++)
        {
            for (int i = 0; i < WindowPages; i++)
            {
                ulong va = s_windows[window] + (ulong)i * MemConstants.PageSize;
                Page page = model[window, i];
                PagingStatus status = machine.Mapper.Translate(va, out Translation translation);
                if (page.Kind == Kind.Mapped)
                {
                    Assert.True(status == PagingStatus.Success && translation.PhysicalAddress == page.Frame, $"page 0x{va:x} should map 0x{page.Frame:x}");
                }
                else
                {
                    Assert.Equal(PagingStatus.NotMapped, status);
                    Assert.Equal(page.Kind == Kind.Reserved, machine.Mapper.TryGetReservation(va, out PageFlags marks));
                    Assert.Equal(page.Marks, page.Kind == Kind.Reserved ? marks : PageFlags.None);
                }
            }
        }
    }

    private static unsafe PagingStatus MapPages(PagingFixture machine, ulong va, ulong[] frames, PageFlags flags)
    {
        fixed (ulong* list = frames)
        {
            return machine.Mapper.MapPages(va, list, (ulong)frames.Length, flags);
        }
    }

    private static unsafe PagingStatus UnmapPages(PagingFixture machine, ulong va, ulong[] frames)
    {
        fixed (ulong* list = frames)
        {
            return machine.Mapper.UnmapPages(va, (ulong)frames.Length, list);
        }
    }
}
