using EventCase.Cases.AddingNotes;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Catalog;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using EventCase.EventStore.Metadata;
using Npgsql;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Handling;

/// <summary>
/// Commands whose append committed while the connection that wrote it was lost. A commit that has to wait for a
/// synchronous standby that never answers (<c>synchronous_standby_names</c> names one that does not exist) is durable
/// locally and hangs until its backend is told otherwise: terminating that backend then loses the connection after the
/// commit, exactly as a network failure or a crash between the commit and its reply would. That needs a cluster of its
/// own (the setting is the whole server's), so these tests start one.
/// </summary>
public sealed class LostCommitTests : IAsyncLifetime
{
    private EmbeddedPostgres _postgres = null!;
    private NpgsqlDataSource _setup = null!;
    private NpgsqlDataSource _waiting = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _postgres = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions
            {
                Mode = EmbeddedPostgresMode.Temporary,
                Durability = EmbeddedPostgresDurability.Fast,
                Settings = new Dictionary<string, string> { ["synchronous_standby_names"] = "nobody" },
            },
            Ct);
        // The set-up and the test's observers commit without waiting for the standby; the store under test waits (a fast
        // cluster commits asynchronously by default, which never waits).
        _setup = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Options = "-c synchronous_commit=local" }.ConnectionString);
        _waiting = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Options = "-c synchronous_commit=on" }.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await _setup.DisposeAsync();
        await _waiting.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task A_command_whose_combined_append_committed_before_its_connection_was_lost_is_accepted_once_and_not_decided_again()
    {
        var setupStore = new PostgresEventStore(_setup, CaseEvents.CreateSerializer());
        await setupStore.MigrateAsync(Ct);
        var agency = new AgencyId("boston");
        var caseId = new CaseId("case-" + Guid.NewGuid().ToString("N"));
        var opening = new CommandContext(agency, "agent-7", "agent", "corr-open", "web", null);
        var open = new OpenCase(
            caseId, new CaseNumberSeries(agency, "BOS", 2026).Number(1), agency, new CatalogEntry(PotholeService with { Agency = agency }),
            "Deep pothole by the bus stop", Citizen, Location, Channel.Web, Attributes(("size", "large")), T0);
        Assert.IsType<CaseCommandResult.Accepted>(await new CaseCommandHandler(setupStore).HandleAsync(open, opening, Ct));

        var store = new PostgresEventStore(_waiting, CaseEvents.CreateSerializer());
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
        var firstPid = await WaitForACommitWaitingForTheStandbyAsync(except: []);

        var command = Task.Run(() => handler.HandleAsync(new AddNote(caseId, NoteVisibility.Internal, "Crew sent", At(5)), opening, Ct), Ct);
        await decided.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        appendNow.SetResult();
        var otherStream = new StreamName("boston", "case-other");
        var other = store.AppendToStreamAsync(
            otherStream, CaseStreams.StreamType, ExpectedVersion.NoStream, [new NewEvent(Guid.CreateVersion7(), new NoteAdded(new CaseId("case-other"), NoteVisibility.Internal, "other", T0), metadata)], Ct);

        // The first append ends (its connection lost after its commit); the two queued appends are written together, and
        // that batch's connection is lost after its commit too.
        await TerminateAsync(firstPid);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => first);
        var batchPid = await WaitForACommitWaitingForTheStandbyAsync(except: [firstPid]);
        await TerminateAsync(batchPid);

        // Any later commit of the store's would wait for the standby for ever: release each (it commits locally) until
        // the command has its answer.
        while (!command.IsCompleted)
        {
            await ReleaseCommitsWaitingForTheStandbyAsync();
            await Task.WhenAny(command, Task.Delay(50, Ct));
        }

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

    private async Task<int> WaitForACommitWaitingForTheStandbyAsync(IReadOnlyCollection<int> except)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var command = _setup.CreateCommand("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND NOT (pid = ANY ($1))");
            command.Parameters.AddWithValue(except.ToArray());
            if (await command.ExecuteScalarAsync(Ct) is int pid)
            {
                return pid;
            }

            Assert.True(DateTime.UtcNow < deadline, "no commit came to wait for the standby");
            await Task.Delay(10, Ct);
        }
    }

    private async Task TerminateAsync(int pid)
    {
        await using var command = _setup.CreateCommand("SELECT pg_terminate_backend($1)");
        command.Parameters.AddWithValue(pid);
        Assert.True((bool)(await command.ExecuteScalarAsync(Ct))!);
    }

    private async Task ReleaseCommitsWaitingForTheStandbyAsync()
    {
        await using var command = _setup.CreateCommand("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
        await command.ExecuteScalarAsync(Ct);
    }
}
