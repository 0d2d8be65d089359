using EventCase.Cases.ReadModels.AuditTrail;
using EventCase.EventStore.Projections;
using EventCase.Testing;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class AuditTrailFixture : ScriptedStoreFixture
{
    protected override Projection CreateProjection() => new AuditTrailProjection();
}

public sealed class AuditTrailTests(AuditTrailFixture fixture) : IClassFixture<AuditTrailFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AuditTrailQueries Queries => new(fixture.Tester.Store);

    private GoldenSettings Golden()
    {
        var settings = fixture.Golden();
        settings.ScrubbedMembers.Add("position");
        settings.ScrubbedMembers.Add("recordedAt");
        return settings;
    }

    [Fact]
    public async Task A_case_trail_lists_who_did_what_when_and_why_with_before_and_after_in_stream_order()
    {
        var trail = await Queries.ForCaseAsync(Boston, "case-002", Ct);

        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), trail.Select(e => e.StreamVersion));
        await EventCase.Testing.Golden.VerifyAsync(trail, "case-002", Golden());
    }

    [Fact]
    public async Task Unassigning_records_the_team_agent_and_status_it_took_away_and_the_reason_given()
    {
        var unassigned = (await Queries.ForCaseAsync(Boston, "case-003", Ct))[^1];

        Assert.Equal(("sue", "supervisor", "case.unassigned.v1", "Carol is on leave"), (unassigned.ActorId, unassigned.ActorRole, unassigned.EventType, unassigned.Reason));
        Assert.Equal(
            [new FieldChange("status", "assigned", "open"), new FieldChange("team", "lighting", null), new FieldChange("assignee", "carol", null)],
            unassigned.Changes);
    }

    [Fact]
    public async Task The_reason_in_the_metadata_is_used_when_the_event_carries_none_and_events_that_change_no_field_have_no_changes()
    {
        var trail = await Queries.ForCaseAsync(Boston, "case-004", Ct);
        var note = (await Queries.ForCaseAsync(Boston, "case-001", Ct)).Single(e => e.EventType == "case.note-added.v1");

        Assert.Equal("Hazard", trail[^1].Reason);
        Assert.Equal([new FieldChange("priority", "normal", "urgent")], trail[^1].Changes);
        Assert.Equal(("Internal note added", 0), (note.Summary, note.Changes.Count));
    }

    [Fact]
    public async Task An_actor_trail_lists_what_one_person_did_across_cases_oldest_first()
    {
        var sue = await Queries.ForActorAsync(Boston, "sue", cancellationToken: Ct);
        var sueBefore9March = await Queries.ForActorAsync(Boston, "sue", to: Utc(3, 9, 0, 0), cancellationToken: Ct);

        Assert.Equal(Events.Count(e => e.Metadata.ActorId == "sue"), sue.Count);
        Assert.Equal(sue.OrderBy(e => e.At).Select(e => e.EventId), sue.Select(e => e.EventId));
        Assert.All(sueBefore9March, e => Assert.True(e.At < Utc(3, 9, 0, 0)));
        Assert.Equal(sue.Count(e => e.At < Utc(3, 9, 0, 0)), sueBefore9March.Count);
        await EventCase.Testing.Golden.VerifyAsync(sue.Select(e => $"{e.At} {e.CaseId} v{e.StreamVersion}: {e.Summary}"), "actor-sue", Golden());
    }
}
