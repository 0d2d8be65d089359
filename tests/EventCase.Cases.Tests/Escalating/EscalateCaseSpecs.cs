using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.Escalating;

public sealed class EscalateCaseSpecs
{
    [Fact]
    public void Escalating_raises_the_level_and_records_where_it_came_from()
    {
        var state = Given(Opened(), EscalatedTo1()).When(new EscalateCase(Id, 3, "Councillor asked", Now))
            .Then(new CaseEscalated(Id, 1, 3, "Councillor asked", Now));

        Assert.Equal(3, Assert.IsType<OpenedCase>(state).EscalationLevel);
    }

    [Fact]
    public void Escalating_past_level_three_is_rejected()
    {
        var rejection = Given(Opened(), new CaseEscalated(Id, 0, 3, "Hazard", At(1)))
            .When(new EscalateCase(Id, 4, "Even more urgent", Now))
            .ThenRejected<InvalidEscalationLevel>("case BOS-2026-000102 is Open at escalation level 3; Escalate needs a level from 1 to 3, not 4");

        Assert.Equal((3, 4), (rejection.CurrentLevel, rejection.RequestedLevel));
    }

    [Fact]
    public void Escalating_to_the_current_level_is_rejected_because_it_does_not_raise_it()
    {
        Given(Opened(), new CaseEscalated(Id, 0, 3, "Hazard", At(1))).When(new EscalateCase(Id, 3, "Again", Now))
            .ThenRejected<InvalidEscalationLevel>("case BOS-2026-000102 is Open at escalation level 3; Escalate must raise the level, and 3 does not");
    }

    [Fact]
    public void Escalating_without_a_reason_is_rejected()
    {
        Given(Opened()).When(new EscalateCase(Id, 1, "", Now))
            .ThenRejected<InvalidCommandInput>("case BOS-2026-000102 is Open; Escalate needs a reason");
    }

    [Fact]
    public void Deescalating_a_case_that_is_not_escalated_is_rejected()
    {
        Given(Opened()).When(new DeescalateCase(Id, 0, "Calm", Now))
            .ThenRejected<InvalidEscalationLevel>("case BOS-2026-000102 is Open and not escalated; Deescalate needs an escalated case");
    }

    [Fact]
    public void Deescalating_lowers_the_level()
    {
        var state = Given(Opened(), new CaseEscalated(Id, 0, 2, "Hazard", At(1))).When(new DeescalateCase(Id, 1, "Coned off", Now))
            .Then(new CaseDeescalated(Id, 2, 1, "Coned off", Now));

        Assert.Equal(1, Assert.IsType<OpenedCase>(state).EscalationLevel);
    }

    [Fact]
    public void Escalating_a_resolved_case_is_rejected()
    {
        Given(Opened(), AssignedToStreets(), Resolved()).When(new EscalateCase(Id, 1, "Angry", Now))
            .ThenRejected<CommandNotAllowedInStatus>("case BOS-2026-000102 is Resolved; Escalate needs an open case (Open, Assigned, InProgress or AwaitingCitizen)");
    }
}
