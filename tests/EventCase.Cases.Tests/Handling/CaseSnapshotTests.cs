using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.Resolving;
using EventCase.Testing;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Handling;

public sealed class CaseSnapshotTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly IReadOnlyList<CaseId> NoChildren = [];

    /// <summary>Records compare lists by reference: compare the children apart, then everything else.</summary>
    private static void AssertSameState(CaseState expected, CaseState actual)
    {
        if (expected is OpenedCase e && actual is OpenedCase a)
        {
            Assert.Equal(e.Children, a.Children);
            Assert.Equal(e.Duplicates, a.Duplicates);
            Assert.Equal(e with { Children = NoChildren, Duplicates = NoChildren }, a with { Children = NoChildren, Duplicates = NoChildren });
            return;
        }

        Assert.Equal(expected, actual);
    }

    private static OpenedCase RoundTrip(OpenedCase state)
    {
        var serializer = CaseEvents.CreateSerializer();
        return CaseStateSnapshot.Deserialize(
            CaseStateSnapshot.Serialize(state, serializer.Options), serializer.ReadingOptions, new EventStore.StreamName("boston", state.Id.Value), 7);
    }

    private async Task AddNotesAsync(CaseCommandHandler handler, AgencyId agency, CaseId caseId, int count, int fromMinute = 1)
    {
        for (var i = 0; i < count; i++)
        {
            var result = await handler.HandleAsync(new AddNote(caseId, NoteVisibility.Internal, $"note {i}", Later(fromMinute + i)), Agent(agency), Ct);
            Assert.IsType<CaseCommandResult.Accepted>(result);
        }
    }

    [Fact]
    public void Every_property_of_an_opened_case_is_kept_in_its_snapshot()
    {
        var computed = new[] { nameof(OpenedCase.Label) };
        var stateProperties = typeof(OpenedCase).GetProperties()
            .Where(p => p.GetMethod is { IsPublic: true, IsStatic: false } && !computed.Contains(p.Name))
            .Select(p => p.Name)
            .Order();
        var snapshotFields = typeof(CaseStateSnapshot).GetConstructors().Single().GetParameters().Select(p => p.Name!).Order();

        Assert.Equal(stateProperties, snapshotFields);
    }

    [Theory]
    [InlineData(CaseStatus.Open)]
    [InlineData(CaseStatus.Assigned)]
    [InlineData(CaseStatus.InProgress)]
    [InlineData(CaseStatus.AwaitingCitizen)]
    [InlineData(CaseStatus.Resolved)]
    [InlineData(CaseStatus.Closed)]
    [InlineData(CaseStatus.Cancelled)]
    [InlineData(CaseStatus.Duplicate)]
    [InlineData(CaseStatus.TransferredOut)]
    public void A_state_restored_from_its_snapshot_is_the_state_folded_from_the_events(CaseStatus status)
    {
        var folded = (OpenedCase)CaseState.Fold(HistoryFor(status));

        AssertSameState(folded, RoundTrip(folded));
    }

    [Fact]
    public void A_state_with_links_duplicates_feedback_and_a_reopen_survives_its_snapshot()
    {
        var folded = (OpenedCase)CaseState.Fold([
            .. HistoryFor(CaseStatus.Resolved),
            new FeedbackRecorded(Id, 2, "Still bumpy", At(20)),
            new CaseReopened(Id, "Not fixed", At(21)),
            new ParentCaseLinked(Id, new CaseId("case-1"), At(22)),
            new ChildCaseLinked(Id, new CaseId("case-200"), At(23)),
            new ChildCaseLinked(Id, new CaseId("case-201"), At(24)),
            new DuplicateCaseMerged(Id, new CaseId("case-300"), CaseNumber.Parse("BOS-2026-000300"), At(25)),
        ]);

        var restored = RoundTrip(folded);

        Assert.Equal(1, restored.ReopenCount);
        Assert.Equal([new CaseId("case-200"), new CaseId("case-201")], restored.Children);
        Assert.Equal([new CaseId("case-300")], restored.Duplicates);
        AssertSameState(folded, restored);
    }

    [Fact]
    public async Task The_handler_snapshots_a_case_when_its_version_crosses_a_multiple_of_eight()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);

        await AddNotesAsync(handler, agency, caseId, 9);
        var read = await Store.ReadStreamFromSnapshotAsync(CaseStreams.For(agency, caseId), CaseStateSnapshot.Kind, Ct);

        Assert.Equal(8, read.Snapshot!.Version);
        Assert.Equal([9L, 10L], read.Events.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task Loading_the_state_from_a_snapshot_gives_the_version_and_state_of_folding_every_event()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        await handler.HandleAsync(new AssignCase(caseId, new Assignment(Streets, Alice), Later(1)), Agent(agency), Ct);
        await AddNotesAsync(handler, agency, caseId, 7, fromMinute: 2);
        await handler.HandleAsync(new ResolveCase(caseId, "repaired", "Filled.", Later(20)), Agent(agency), Ct);

        var fromSnapshot = await handler.LoadStateAsync(agency, caseId, Ct);
        var full = await handler.LoadAsync(agency, caseId, Ct);

        Assert.Equal(10, fromSnapshot.Version);
        Assert.Equal(full.Version, fromSnapshot.Version);
        Assert.Equal(CaseStatus.Resolved, fromSnapshot.State.Status);
        AssertSameState(full.State, fromSnapshot.State);
    }

    [Fact]
    public async Task Loading_the_state_reads_the_latest_snapshot_instead_of_folding_the_events_before_it()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        await AddNotesAsync(handler, agency, caseId, 9);
        var folded = (OpenedCase)(await handler.LoadAsync(agency, caseId, Ct)).State;
        // A snapshot no fold of these events gives: only a load that reads it can return it.
        var marked = folded with { EscalationLevel = 3 };
        await Store.SaveSnapshotAsync(CaseStreams.For(agency, caseId), CaseStateSnapshot.Kind, 10, CaseStateSnapshot.Serialize(marked, Store.Serializer.Options), Ct);

        var loaded = await handler.LoadStateAsync(agency, caseId, Ct);

        Assert.Equal(10, loaded.Version);
        Assert.Equal(0, folded.EscalationLevel);
        Assert.Equal(3, ((OpenedCase)loaded.State).EscalationLevel);
    }

    [Fact]
    public async Task A_command_decided_on_a_snapshot_follows_the_same_rules()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        await handler.HandleAsync(new AssignCase(caseId, new Assignment(Streets, Alice), Later(1)), Agent(agency), Ct);
        await AddNotesAsync(handler, agency, caseId, 6, fromMinute: 2);
        var resolved = await handler.HandleAsync(new ResolveCase(caseId, "repaired", "Filled.", Later(20)), Agent(agency), Ct);
        Assert.IsType<CaseCommandResult.Accepted>(resolved);

        var again = await handler.HandleAsync(new ResolveCase(caseId, "repaired", "Filled again.", Later(21)), Agent(agency), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(again);
        Assert.Equal(9, rejected.Version);
        Assert.Equal(9, AssertContiguous(await ReadAsync(agency, caseId)));
    }

    [Fact]
    public async Task A_command_whose_idempotency_key_was_applied_before_the_snapshot_is_still_answered_as_applied()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        var keyed = Agent(agency) with { IdempotencyKey = "note-early" };
        var note = new AddNote(caseId, NoteVisibility.Public, "We are on it", Later(1));
        await handler.HandleAsync(note, keyed, Ct);
        await AddNotesAsync(handler, agency, caseId, 7, fromMinute: 2);

        var retry = await handler.HandleAsync(note, keyed, Ct);

        Assert.Equal(2, Assert.IsType<CaseCommandResult.AlreadyApplied>(retry).Version);
        Assert.Equal(9, AssertContiguous(await ReadAsync(agency, caseId)));
    }

    [Fact]
    public async Task With_snapshots_off_the_handler_takes_none()
    {
        var agency = NewAgency();
        var handler = Handler(new CaseCommandHandlerOptions { SnapshotEvery = 0 });
        var caseId = await OpenCaseAsync(agency, handler);

        await AddNotesAsync(handler, agency, caseId, 9);
        var read = await Store.ReadStreamFromSnapshotAsync(CaseStreams.For(agency, caseId), CaseStateSnapshot.Kind, Ct);

        Assert.Null(read.Snapshot);
        Assert.Equal(10, read.Events.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CaseCommandHandlerOptions { SnapshotEvery = -1 });
    }
}
