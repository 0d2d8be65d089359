using EventCase.Cases.Assigning;
using EventCase.Cases.Lifecycle;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.Assigning;

public sealed class AssignCaseSpecs
{
    [Fact]
    public void Assigning_an_open_case_assigns_it()
    {
        var state = Given(Opened()).When(new AssignCase(Id, new Assignment(Streets, Alice), Now))
            .Then(new CaseAssigned(Id, new Assignment(Streets, Alice), Now));

        Assert.Equal(new Assignment(Streets, Alice), Assert.IsType<OpenedCase>(state).Assignment);
    }

    [Fact]
    public void Assigning_an_assigned_case_to_someone_else_reassigns_it_and_keeps_it_in_progress()
    {
        var state = Given(Opened(), AssignedToStreets(), Started()).When(new AssignCase(Id, new Assignment(Lighting), Now))
            .Then(new CaseReassigned(Id, new Assignment(Streets), new Assignment(Lighting), Now));

        Assert.Equal(CaseStatus.InProgress, state.Status);
    }

    [Fact]
    public void Assigning_to_the_current_assignee_again_changes_nothing()
    {
        Given(Opened(), AssignedToStreets()).When(new AssignCase(Id, new Assignment(Streets), Now)).ThenNothingHappens();
    }

    [Fact]
    public void Assigning_a_closed_case_is_rejected()
    {
        Given(Opened(), AssignedToStreets(), Started(), Resolved(), Closed())
            .When(new AssignCase(Id, new Assignment(Streets), Now))
            .ThenRejected<CommandNotAllowedInStatus>("case BOS-2026-000102 is Closed; Assign needs an open case (Open, Assigned, InProgress or AwaitingCitizen)");
    }

    [Fact]
    public void Assigning_a_resolved_case_is_rejected_in_the_words_of_the_design()
    {
        var rejection = Given(Opened(), AssignedToStreets(), Resolved())
            .When(new AssignCase(Id, new Assignment(Streets), Now))
            .ThenRejected<CommandNotAllowedInStatus>();

        Assert.StartsWith("case BOS-2026-000102 is Resolved; Assign needs an open case", rejection.Message, StringComparison.Ordinal);
        Assert.Equal("case.invalid-status", rejection.Code);
    }

    [Fact]
    public void Unassigning_returns_the_case_to_the_pool()
    {
        var state = Given(Opened(), AssignedToStreets(), Started()).When(new UnassignCase(Id, "Wrong team", Now))
            .Then(new CaseUnassigned(Id, new Assignment(Streets), "Wrong team", Now));

        Assert.Equal(CaseStatus.Open, state.Status);
        Assert.Null(Assert.IsType<OpenedCase>(state).Assignment);
    }

    [Fact]
    public void Unassigning_while_waiting_on_the_citizen_is_rejected()
    {
        Given(Opened(), AssignedToStreets(), Started(), InfoRequested()).When(new UnassignCase(Id, null, Now))
            .ThenRejected<CommandNotAllowedInStatus>("case BOS-2026-000102 is AwaitingCitizen; Unassign needs an assigned case (Assigned or InProgress)");
    }
}
