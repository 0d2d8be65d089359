using EventCase.Cases.Assigning;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Replaying;
using EventCase.Cases.Resolving;
using EventCase.Cases.Tests.Handling;
using EventCase.Testing;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Replaying;

public sealed class CaseReplayTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    private async Task<(AgencyId Agency, CaseId Case, List<EventCase.EventStore.RecordedEvent> Events)> ScriptedCaseAsync()
    {
        var agency = NewAgency();
        var caseId = await OpenCaseAsync(agency);
        var handler = Handler();
        foreach (var command in new CaseCommand[]
        {
            new AssignCase(caseId, new Assignment(new TeamId("streets"), new AgentId("alice")), At(60)),
            new EscalateCase(caseId, 2, "Near a school", At(120)),
            new ResolveCase(caseId, "repaired", "We filled the pothole.", At(600)),
        })
        {
            Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(command, Agent(agency), Ct));
        }

        return (agency, caseId, await ReadAsync(agency, caseId));
    }

    [Fact]
    public async Task Replay_at_every_version_equals_the_state_folded_from_the_first_n_events()
    {
        var (_, _, events) = await ScriptedCaseAsync();

        for (var n = 0; n <= events.Count; n++)
        {
            var folded = CaseState.Fold(events.Take(n).Select(e => (CaseEvent)e.Data));
            var replayed = CaseReplay.AtVersion(events, n);
            Assert.Equal(n, replayed.Version);
            Assert.Equal(CaseReplay.Describe(folded), CaseReplay.Describe(replayed.State));
        }
    }

    [Fact]
    public async Task Replay_at_an_instant_stops_at_the_last_event_that_had_happened_by_then()
    {
        var (_, _, events) = await ScriptedCaseAsync();

        var beforeOpening = CaseReplay.AtInstant(events, T0 - NodaTime.Duration.FromSeconds(1));
        var afterAssigning = CaseReplay.AtInstant(events, At(90));
        var afterAll = CaseReplay.AtInstant(events, At(10_000));

        Assert.Equal(0, beforeOpening.Version);
        Assert.Equal(CaseStatus.NotOpened, beforeOpening.State.Status);
        Assert.Equal(CaseStatus.Assigned, afterAssigning.State.Status);
        Assert.Equal(events.Count(e => ((CaseEvent)e.Data).At <= At(90)), afterAssigning.Version);
        Assert.Equal(CaseStatus.Resolved, afterAll.State.Status);
    }

    [Fact]
    public async Task Each_step_says_what_the_event_changed()
    {
        var (_, _, events) = await ScriptedCaseAsync();

        var steps = CaseReplay.Steps(events);

        var escalation = steps.Single(s => s.Event.Data is CaseEscalated);
        Assert.Equal([new FieldChange("escalationLevel", "0", "2")], escalation.Changes);
        var resolution = steps.Single(s => s.Event.Data is CaseResolved);
        Assert.Contains(new FieldChange("status", "Assigned", "Resolved"), resolution.Changes);
        Assert.Contains(new FieldChange("resolution", null, "repaired"), resolution.Changes);
        Assert.Equal(steps.Select(s => s.Version), events.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task A_merge_shows_on_the_originals_replay_as_a_new_duplicate()
    {
        var agency = NewAgency();
        var original = await OpenCaseAsync(agency);
        var duplicate = await OpenCaseAsync(agency);
        Assert.IsType<CaseCommandResult.Accepted>(await Handler().HandleAsync(new MarkDuplicate(duplicate, original, null, At(30)), Agent(agency), Ct));

        var steps = CaseReplay.Steps(await ReadAsync(agency, original));

        var merge = steps.Single(s => s.Event.Data is DuplicateCaseMerged);
        Assert.Equal([new FieldChange("duplicates", null, duplicate.Value)], merge.Changes);
        Assert.Equal(duplicate.Value, CaseReplay.Describe(steps[^1].StateAfter)["duplicates"]);
    }
}
