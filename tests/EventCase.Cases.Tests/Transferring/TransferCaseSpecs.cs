using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Transferring;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.Transferring;

public sealed class TransferCaseSpecs
{
    [Fact]
    public void Transferring_hands_the_case_to_the_other_agency_and_ends_it_here()
    {
        var state = Given(Opened(), AssignedToStreets()).When(new TransferCase(Id, Massdot, "State highway", Now))
            .Then(new CaseTransferred(Id, Boston, Massdot, "State highway", Now));

        var transferred = Assert.IsType<OpenedCase>(state);
        Assert.Equal(CaseStatus.TransferredOut, transferred.Status);
        Assert.Equal(Massdot, transferred.TransferredTo);
    }

    [Fact]
    public void Transferring_to_the_agency_that_holds_the_case_is_rejected()
    {
        Given(Opened()).When(new TransferCase(Id, Boston, "Oops", Now))
            .ThenRejected<InvalidCommandInput>("case BOS-2026-000102 is Open; Transfer needs another agency than boston, which already holds the case");
    }

    [Fact]
    public void Changing_the_priority_to_what_it_is_changes_nothing()
    {
        Given(Opened()).When(new ChangePriority(Id, CasePriority.Normal, null, Now)).ThenNothingHappens();
    }

    [Fact]
    public void Changing_the_priority_records_from_and_to()
    {
        Given(Opened()).When(new ChangePriority(Id, CasePriority.Urgent, "Hazard", Now))
            .Then(new PriorityChanged(Id, CasePriority.Normal, CasePriority.Urgent, "Hazard", Now));
    }
}
