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
    public void Transferring_with_a_receiving_case_names_that_case_and_its_number()
    {
        var receiving = new ReceivingCase(new CaseId("case-900"), CaseNumber.Parse("MDOT-2026-000005"));

        Given(Opened(), AssignedToStreets()).When(new TransferCase(Id, Massdot, "State highway", Now, receiving))
            .Then(new CaseTransferred(Id, Boston, Massdot, "State highway", Now, receiving.CaseId, receiving.Number));
    }

    [Fact]
    public void Transferring_without_a_receiving_case_as_imported_history_does_records_none()
    {
        var decision = Given(Opened()).When(new TransferCase(Id, Massdot, "State highway", Now)).Decision;

        var transferred = Assert.IsType<CaseTransferred>(Assert.Single(decision.Events));
        Assert.Null(transferred.ToCaseId);
        Assert.Null(transferred.ToNumber);
    }

    [Fact]
    public void Opening_a_case_a_transfer_hands_over_records_where_it_came_from()
    {
        var from = new TransferredFrom(Massdot, new CaseId("case-5"), CaseNumber.Parse("MDOT-2026-000005"));

        var state = Given().When(Open() with { TransferredFrom = from })
            .Then(Opened() with { TransferredFrom = from });

        Assert.Equal(CaseStatus.Open, state.Status);
    }

    [Fact]
    public void A_transfer_of_a_case_that_is_no_longer_open_is_rejected_whatever_receiving_case_it_names()
    {
        var receiving = new ReceivingCase(new CaseId("case-900"), CaseNumber.Parse("MDOT-2026-000005"));

        Given(Opened(), Cancelled()).When(new TransferCase(Id, Massdot, "State highway", Now, receiving))
            .ThenRejected<CommandNotAllowedInStatus>();
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
