using Kernel.Mem.Paging;
using Xunit;

namespace Kernel.Tests.Mem.Paging;

/// <summary>Page-fault causes by the access rules of Intel SDM Vol. 3A, 4.6.1: SMEP and SMAP only when they are on and apply.</summary>
public class PageFaultClassificationTests
{
    private const PageFaultErrorCode Present = PageFaultErrorCode.Present;
    private const PageFaultErrorCode Write = PageFaultErrorCode.Write;
    private const PageFaultErrorCode User = PageFaultErrorCode.User;
    private const PageFaultErrorCode Fetch = PageFaultErrorCode.InstructionFetch;

    private static PageFaultCause Classify(PageFaultErrorCode code, bool userPage, bool smep = false, bool smap = false, bool alignmentCheck = false)
        => PageFaultClassification.Classify(code, userPage, smep, smap, alignmentCheck);

    [Theory]
    [InlineData(Present)]
    [InlineData(Present | Write)]
    public void A_supervisor_data_access_to_a_user_page_with_smap_on_and_ac_clear_is_smap(PageFaultErrorCode code)
    {
        Assert.Equal(PageFaultCause.SupervisorAccessToUserPage, Classify(code, userPage: true, smap: true));
    }

    [Fact]
    public void Without_smap_a_supervisor_write_to_a_user_page_is_a_write_to_a_read_only_page()
    {
        Assert.Equal(PageFaultCause.WriteToReadOnlyPage, Classify(Present | Write, userPage: true, smep: true));
    }

    [Fact]
    public void Without_smap_a_supervisor_read_of_a_user_page_is_not_called_smap()
    {
        Assert.Equal(PageFaultCause.ProtectionViolation, Classify(Present, userPage: true, smep: true));
    }

    [Fact]
    public void With_ac_set_smap_lets_supervisor_data_accesses_through_so_the_fault_is_the_pages_own()
    {
        Assert.Equal(PageFaultCause.WriteToReadOnlyPage, Classify(Present | Write, userPage: true, smap: true, alignmentCheck: true));
    }

    [Fact]
    public void A_supervisor_fetch_from_a_user_page_with_smep_on_is_smep()
    {
        Assert.Equal(PageFaultCause.SupervisorFetchFromUserPage, Classify(Present | Fetch, userPage: true, smep: true, smap: true));
    }

    [Fact]
    public void Without_smep_a_supervisor_fetch_from_a_user_page_is_an_execute_of_a_no_execute_page()
    {
        Assert.Equal(PageFaultCause.ExecuteOfNoExecutePage, Classify(Present | Fetch, userPage: true, smap: true));
    }

    [Theory]
    [InlineData(PageFaultErrorCode.None)]
    [InlineData(Write)]
    [InlineData(Fetch)]
    public void A_not_present_page_is_never_smap_or_smep(PageFaultErrorCode code)
    {
        Assert.Equal(PageFaultCause.NotPresent, Classify(code, userPage: true, smep: true, smap: true));
    }

    [Fact]
    public void A_reserved_bit_is_named_whatever_else_the_code_says()
    {
        Assert.Equal(PageFaultCause.ReservedBit, Classify(PageFaultErrorCode.ReservedBit | Write, userPage: true, smep: true, smap: true));
        Assert.Equal(PageFaultCause.ReservedBit, Classify(PageFaultErrorCode.ReservedBit | Present, userPage: false));
    }

    [Theory]
    [InlineData(Present | User)]
    [InlineData(Present | User | Write)]
    [InlineData(Present | User | Fetch)]
    public void A_user_mode_access_to_a_supervisor_page_is_named_so(PageFaultErrorCode code)
    {
        Assert.Equal(PageFaultCause.UserAccessToSupervisorPage, Classify(code, userPage: false, smep: true, smap: true));
    }

    [Fact]
    public void User_mode_faults_on_user_pages_name_the_missing_right_and_ignore_smep_and_smap()
    {
        Assert.Equal(PageFaultCause.WriteToReadOnlyPage, Classify(Present | User | Write, userPage: true, smep: true, smap: true));
        Assert.Equal(PageFaultCause.ExecuteOfNoExecutePage, Classify(Present | User | Fetch, userPage: true, smep: true, smap: true));
    }

    [Fact]
    public void Supervisor_faults_on_supervisor_pages_name_the_missing_right()
    {
        Assert.Equal(PageFaultCause.ExecuteOfNoExecutePage, Classify(Present | Fetch, userPage: false, smep: true, smap: true));
        Assert.Equal(PageFaultCause.WriteToReadOnlyPage, Classify(Present | Write, userPage: false, smep: true, smap: true));
    }

    [Fact]
    public void Protection_keys_and_shadow_stacks_are_named()
    {
        Assert.Equal(PageFaultCause.ProtectionKey, Classify(Present | PageFaultErrorCode.ProtectionKey | Write, userPage: true, smap: true));
        Assert.Equal(PageFaultCause.ShadowStack, Classify(Present | PageFaultErrorCode.ShadowStack | Write, userPage: false));
    }
}
