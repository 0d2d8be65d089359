using EventCase.Cases.AddingNotes;
using EventCase.Cases.Catalog;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using Npgsql;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Handling;

/// <summary>
/// Commands whose append committed while the connection that wrote it was lost (see <see cref="LostCommitCluster"/>).
/// </summary>
public sealed class LostCommitTests : IAsyncLifetime
{
    private LostCommitCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await LostCommitCluster.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_command_whose_combined_append_committed_before_its_connection_was_lost_is_accepted_once_and_not_decided_again()
    {
        var setupStore = new PostgresEventStore(_cluster.Observer, CaseEvents.CreateSerializer());
        await setupStore.MigrateAsync(Ct);
        var agency = new AgencyId("boston");
        var caseId = new CaseId("case-" + Guid.NewGuid().ToString("N"));
        var opening = new CommandContext(agency, "agent-7", "agent", "corr-open", "web", null);
        var open = new OpenCase(
            caseId, new CaseNumberSeries(agency, "BOS", 2026).Number(1), agency, new CatalogEntry(PotholeService with { Agency = agency }),
            "Deep pothole by the bus stop", Citizen, Location, Channel.Web, Attributes(("size", "large")), T0);
        Assert.IsType<CaseCommandResult.Accepted>(await new CaseCommandHandler(setupStore).HandleAsync(open, opening, Ct));

        var store = new PostgresEventStore(_cluster.Waiting, CaseEvents.CreateSerializer());
        var decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Completed by the test, without RunContinuationsAsynchronously: the handler's append then runs on the test's
        // thread up to its wait in the store's combiner, so it has queued when SetResult returns.
        var appendNow = new TaskCompletionSource();
        var handler = new CaseCommandHandler(store, options: new CaseCommandHandlerOptions
        {
            BeforeAppend = (_, attempt, _) =>
            {
                if (attempt > 1)
                {
                    return Task.CompletedTask;
                }

                decided.SetResult();
                return appendNow.Task;
            },
        });

        // An append being written (its commit waiting for the standby) makes the next ones queue for a combined batch.
        var metadata = new EventMetadata("agent-7", "agent", "corr-other", "corr-other", "web", null);
        var first = store.AppendToStreamAsync(
            new StreamName("boston", "case-first"), CaseStreams.StreamType, ExpectedVersion.NoStream, [new NewEvent(Guid.CreateVersion7(), new NoteAdded(new CaseId("case-first"), NoteVisibility.Internal, "first", T0), metadata)], Ct);
        var firstPid = await _cluster.WaitForACommitWaitingForTheStandbyAsync([], Ct);

        var command = Task.Run(() => handler.HandleAsync(new AddNote(caseId, NoteVisibility.Internal, "Crew sent", At(5)), opening, Ct), Ct);
        await decided.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        appendNow.SetResult();
        var otherStream = new StreamName("boston", "case-other");
        var other = store.AppendToStreamAsync(
            otherStream, CaseStreams.StreamType, ExpectedVersion.NoStream, [new NewEvent(Guid.CreateVersion7(), new NoteAdded(new CaseId("case-other"), NoteVisibility.Internal, "other", T0), metadata)], Ct);

        // The first append ends (its connection lost after its commit); the two queued appends are written together, and
        // that batch's connection is lost after its commit too.
        await _cluster.TerminateAsync(firstPid, Ct);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => first);
        var batchPid = await _cluster.WaitForACommitWaitingForTheStandbyAsync([firstPid], Ct);
        await _cluster.TerminateAsync(batchPid, Ct);

        // Any later commit of the store's would wait for the standby for ever: release each (it commits locally) until
        // the command has its answer.
        await _cluster.ReleaseCommitsUntilDoneAsync(command, Ct);
        var accepted = Assert.IsType<CaseCommandResult.Accepted>(await command);
        Assert.Equal(2, accepted.Version);
        var note = Assert.IsType<NoteAdded>(Assert.Single(accepted.Events));
        Assert.Equal("Crew sent", note.Text);
        Assert.True((await other).AlreadyAppended);
        var events = new List<RecordedEvent>();
        await foreach (var recorded in setupStore.ReadStreamAsync(CaseStreams.For(agency, caseId), ReadStreamOptions.All, Ct))
        {
            events.Add(recorded);
        }

        Assert.Equal(2, events.Count);
        Assert.Equal("Crew sent", ((NoteAdded)events[1].Data).Text);
        // The note was written by the combined batch, with the other append.
        var otherEvent = await setupStore.ReadStreamAsync(otherStream, ReadStreamOptions.All, Ct).SingleAsync(Ct);
        Assert.Equal(otherEvent.TransactionId, events[1].TransactionId);
    }
}
