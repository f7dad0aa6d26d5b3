using System;
using Kernel.Mem;
using Kernel.Mem.Paging;
using Xunit;
using static Kernel.Tests.Mem.Paging.PagingFixture;

namespace Kernel.Tests.Mem.Paging;

/// <summary>Access rights of the intermediate entries: the CPU combines every level, so the leaf must decide.</summary>
public class MapperUserBitTests : IDisposable
{
    private readonly PagingFixture _machine = new PagingFixture();

    public void Dispose() => _machine.Dispose();

    [Fact]
    public void Every_table_above_a_user_page_carries_the_user_bit()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.User, PageSize.Size4KiB);

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.True(walk.Pml4Entry.IsUser);
        Assert.True(walk.PdptEntry.IsUser);
        Assert.True(walk.PdEntry.IsUser);
        Assert.True(walk.PtEntry.IsUser);
    }

    [Fact]
    public void Tables_above_a_supervisor_page_do_not_carry_the_user_bit()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.False(walk.Pml4Entry.IsUser || walk.PdptEntry.IsUser || walk.PdEntry.IsUser);
    }

    [Fact]
    public void Tables_are_writable_and_executable_even_above_a_read_only_no_execute_page()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.User | PageFlags.NoExecute, PageSize.Size4KiB);

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        foreach (PageTableEntry entry in new[] { walk.Pml4Entry, walk.PdptEntry, walk.PdEntry })
        {
            Assert.True(entry.IsWritable);
            Assert.False(entry.IsNoExecute);
        }
        Assert.False(walk.PtEntry.IsWritable);
        Assert.True(walk.PtEntry.IsNoExecute);
    }

    [Fact]
    public void A_user_page_next_to_a_supervisor_page_grants_the_user_bit_to_the_shared_tables()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Map(UserBase + 0x1000, Frame(2), PageFlags.User, PageSize.Size4KiB);

        _machine.Mapper.Walk(UserBase, out PageWalk supervisor);
        Assert.True(supervisor.Pml4Entry.IsUser && supervisor.PdptEntry.IsUser && supervisor.PdEntry.IsUser);
        Assert.False(supervisor.PtEntry.IsUser);
    }

    [Fact]
    public void A_2MiB_user_page_grants_the_user_bit_to_the_PML4E_and_PDPTE()
    {
        _machine.Mapper.Map(UserBase, LargeFrame(1), PageFlags.User, PageSize.Size2MiB);

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.True(walk.Pml4Entry.IsUser && walk.PdptEntry.IsUser && walk.PdEntry.IsUser);
    }

    [Fact]
    public void Protecting_a_supervisor_page_as_user_grants_the_user_bit_above_it()
    {
        _machine.Mapper.Map(UserBase, Frame(1), PageFlags.Writable, PageSize.Size4KiB);

        _machine.Mapper.Protect(UserBase, PageSize.Size4KiB, PageFlags.User);

        _machine.Mapper.Walk(UserBase, out PageWalk walk);
        Assert.True(walk.Pml4Entry.IsUser && walk.PdptEntry.IsUser && walk.PdEntry.IsUser && walk.PtEntry.IsUser);
        Assert.Equal(new[] { UserBase }, _machine.Tlb.Pages);
    }
}
