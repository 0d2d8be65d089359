using EventCase.Cases.Cancelling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Reopening;
using EventCase.Cases.Resolving;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.Reopening;

public sealed class ReopenCaseSpecs
{
    private static readonly Duration Window = Duration.FromDays(14);

    [Fact]
    public void Reopening_within_the_window_returns_the_case_to_its_assignee()
    {
        var reopenAt = Resolved().At + Window;
        var state = Given(Opened(), AssignedToStreets(), Started(), Resolved())
            .When(new ReopenCase(Id, "Still there", Window, reopenAt))
            .Then(new CaseReopened(Id, "Still there", reopenAt));

        var reopened = Assert.IsType<OpenedCase>(state);
        Assert.Equal(CaseStatus.Assigned, reopened.Status);
        Assert.Null(reopened.Resolution);
        Assert.Equal(1, reopened.ReopenCount);
    }

    [Fact]
    public void Reopening_after_the_window_is_rejected_with_when_it_ended()
    {
        var rejection = Given(Opened(), AssignedToStreets(), Started(), Resolved())
            .When(new ReopenCase(Id, "Still there", Window, Resolved().At + Window + Duration.FromSeconds(1)))
            .ThenRejected<ReopenWindowElapsed>(
                "case BOS-2026-000102 is Resolved since 2026-03-02T14:05:00Z; Reopen is only allowed within 14 days of resolution, which ended at 2026-03-16T14:05:00Z");

        Assert.Equal("case.reopen-window-elapsed", rejection.Code);
    }

    [Fact]
    public void Reopening_a_closed_case_is_rejected()
    {
        Given(Opened(), AssignedToStreets(), Resolved(), Closed()).When(new ReopenCase(Id, "Still there", Window, Now))
            .ThenRejected<CommandNotAllowedInStatus>("case BOS-2026-000102 is Closed; Reopen needs a Resolved case");
    }

    [Fact]
    public void Resolving_a_cancelled_case_is_rejected()
    {
        Given(Opened(), new CaseCancelled(Id, "Withdrawn", At(1))).When(new ResolveCase(Id, "repaired", "Filled", Now))
            .ThenRejected<CommandNotAllowedInStatus>(
                "case BOS-2026-000102 is Cancelled; Resolve needs an assigned case that is not resolved yet (Assigned, InProgress or AwaitingCitizen)");
    }

    [Fact]
    public void Resolving_an_unassigned_case_is_rejected()
    {
        Given(Opened()).When(new ResolveCase(Id, "repaired", "Filled", Now))
            .ThenRejected<CommandNotAllowedInStatus>();
    }

    [Fact]
    public void Resolving_records_the_code_and_public_summary()
    {
        var state = Given(Opened(), AssignedToStreets(), Started()).When(new ResolveCase(Id, "repaired", "Filled", Now))
            .Then(new CaseResolved(Id, "repaired", "Filled", Now));

        Assert.Equal(new CaseResolution("repaired", "Filled", Now), Assert.IsType<OpenedCase>(state).Resolution);
    }
}
