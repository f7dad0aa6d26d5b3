using Kernel.Mem;
using Kernel.Mem.Paging;
using Kernel.Mem.User;
using Xunit;
using static Kernel.Mem.User.UserPageFault;

namespace Kernel.Tests.Mem.User;

/// <summary>
/// How a ring-3 page fault that was not resolved (no reserved heap page to back) is named: the kind from the
/// address and the error code (Intel SDM Vol. 3A, 4.7), and the words of the kill reason, which must say
/// read, write or execute as the error code does.
/// </summary>
public sealed class UserPageFaultTests
{
    private const ulong Page = MemConstants.PageSize;
    private const ulong ErrorPresent = (ulong)PageFaultErrorCode.Present;
    private const ulong ErrorWrite = (ulong)PageFaultErrorCode.Write;
    private const ulong ErrorUser = (ulong)PageFaultErrorCode.User;
    private const ulong ErrorReservedBit = (ulong)PageFaultErrorCode.ReservedBit;
    private const ulong ErrorInstructionFetch = (ulong)PageFaultErrorCode.InstructionFetch;
    private const ulong Read = ErrorUser;
    private const ulong Write = ErrorUser | ErrorWrite;
    private const ulong Fetch = ErrorUser | ErrorInstructionFetch;

    public static TheoryData<ulong, ulong, UserPageFaultKind> Faults => new TheoryData<ulong, ulong, UserPageFaultKind>
    {
        { 0, Read, UserPageFaultKind.NullPointer },
        { 0x28, Write, UserPageFaultKind.NullPointer },
        { UserLayout.LowestAddress - 1, Fetch, UserPageFaultKind.NullPointer },
        { UserLayout.End, Read, UserPageFaultKind.KernelAddress },
        { 0xFFFF_8000_0010_0000, Write | ErrorPresent, UserPageFaultKind.KernelAddress },
        { 0xFFFF_FFFF_8010_0000, Fetch | ErrorPresent, UserPageFaultKind.KernelAddress },
        { ulong.MaxValue, Read, UserPageFaultKind.KernelAddress },
        { UserLayout.StackGuard, Write, UserPageFaultKind.StackOverflow },
        { UserLayout.StackBottom - 8, Write, UserPageFaultKind.StackOverflow },
        { UserLayout.StackBottom - 1, Read, UserPageFaultKind.StackOverflow },
        { 0x40_0123, Write | ErrorPresent, UserPageFaultKind.WriteToReadOnly },
        { UserLayout.StackTop - 16, Fetch | ErrorPresent, UserPageFaultKind.ExecuteNoExecute },
        { UserLayout.PageAreaBase, Fetch | ErrorPresent, UserPageFaultKind.ExecuteNoExecute },
        { UserLayout.HeapBase, Read, UserPageFaultKind.HeapNotReserved },
        { UserLayout.HeapBase + UserLayout.BlockAreaSize, Write, UserPageFaultKind.HeapNotReserved },
        { UserLayout.HeapEnd - 1, Write, UserPageFaultKind.HeapNotReserved },
        { UserLayout.PageAreaBase + 77, Fetch, UserPageFaultKind.HeapNotReserved },
        { UserLayout.HeapBase - 1, Read, UserPageFaultKind.NotMapped },
        { UserLayout.HeapEnd + UserLayout.RuntimeRegionSize, Write, UserPageFaultKind.NotMapped },
        { 0x40_0000 + 0x10_0000, Fetch, UserPageFaultKind.NotMapped },
        { UserLayout.StackTop, Read, UserPageFaultKind.NotMapped },
        { UserLayout.LowestAddress, Read, UserPageFaultKind.NotMapped },
        { 0x40_0000, Read | ErrorReservedBit | ErrorPresent, UserPageFaultKind.ReservedBit },
        { 0, ErrorReservedBit, UserPageFaultKind.ReservedBit },
        { UserLayout.HeapBase, Write | ErrorReservedBit | ErrorPresent, UserPageFaultKind.ReservedBit },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void Each_fault_is_classified_by_its_address_and_error_code(ulong address, ulong errorCode, UserPageFaultKind expected)
    {
        Assert.Equal(expected, Classify(address, errorCode));
    }

    public static TheoryData<UserPageFaultKind, ulong, string> Descriptions => new TheoryData<UserPageFaultKind, ulong, string>
    {
        { UserPageFaultKind.NullPointer, Read, "read through a null pointer" },
        { UserPageFaultKind.NullPointer, Write, "write through a null pointer" },
        { UserPageFaultKind.NullPointer, Fetch, "execute of a null pointer" },
        { UserPageFaultKind.KernelAddress, Read, "read of a kernel address" },
        { UserPageFaultKind.KernelAddress, Write | ErrorPresent, "write to a kernel address" },
        { UserPageFaultKind.KernelAddress, Fetch, "execute of a kernel address" },
        { UserPageFaultKind.StackOverflow, Write, "stack overflow: guard page hit" },
        { UserPageFaultKind.WriteToReadOnly, Write | ErrorPresent, "write to a read-only page" },
        { UserPageFaultKind.ExecuteNoExecute, Fetch | ErrorPresent, "execute of a no-execute page" },
        { UserPageFaultKind.HeapNotReserved, Read, "read of a heap page that is not reserved (freed or never allocated)" },
        { UserPageFaultKind.HeapNotReserved, Write, "write to a heap page that is not reserved (freed or never allocated)" },
        { UserPageFaultKind.HeapNotReserved, Fetch, "execute of a heap page that is not reserved (freed or never allocated)" },
        { UserPageFaultKind.NotMapped, Read, "read of an unmapped address" },
        { UserPageFaultKind.NotMapped, Write, "write to an unmapped address" },
        { UserPageFaultKind.NotMapped, Fetch, "execute of an unmapped address" },
        { UserPageFaultKind.ReservedBit, Read | ErrorReservedBit, "page fault with a reserved bit set in a page-table entry" },
    };

    [Theory]
    [MemberData(nameof(Descriptions))]
    public void Each_kind_is_described_in_the_words_of_the_kill_reason(UserPageFaultKind kind, ulong errorCode, string expected)
    {
        Assert.Equal(expected, Describe(kind, errorCode));
    }

    [Fact]
    public void Every_kind_has_a_description_of_its_own()
    {
        var seen = new System.Collections.Generic.HashSet<string>();
        foreach (UserPageFaultKind kind in System.Enum.GetValues<UserPageFaultKind>())
        {
            Assert.True(seen.Add(Describe(kind, Read)), $"{kind} shares its description");
        }
    }

    [Theory]
    [InlineData(Read, "read of")]
    [InlineData(Write, "write to")]
    [InlineData(Fetch, "execute of")]
    [InlineData(Write | ErrorPresent, "write to")]
    [InlineData(Fetch | ErrorWrite, "execute of")]
    public void The_access_is_named_from_the_error_code(ulong errorCode, string expected)
    {
        Assert.Equal(expected, Access(errorCode));
    }

    [Fact]
    public void A_classified_fault_is_described_with_the_access_its_error_code_names()
    {
        // Every classification the handler can reach, described: a fetch must never read as "read of".
        foreach (object[] row in Faults)
        {
            ulong address = (ulong)row[0];
            ulong errorCode = (ulong)row[1];
            string description = Describe(Classify(address, errorCode), errorCode);
            if ((errorCode & ErrorInstructionFetch) != 0)
            {
                Assert.False(description.StartsWith("read") || description.StartsWith("write"), description);
            }
            else if ((errorCode & ErrorWrite) != 0)
            {
                Assert.False(description.StartsWith("read"), description);
            }
        }
    }
}
