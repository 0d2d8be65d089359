using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// An async projection that keeps the default row key (one row per stream) reads no row for a stream's first event,
/// as an inline projection does (decision 0015); one that chooses its own keys reads them, since a new stream may well
/// change an existing row.
/// </summary>
public sealed class NewStreamRowLoadTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task An_async_projection_keyed_by_stream_reads_no_row_for_a_new_stream_and_reads_the_row_of_a_stream_it_has_seen()
    {
        var (newStream, seenStream) = await TableReadsPerStepAsync(new PerStreamNoteTally());

        // The step for a stream it has seen reads that stream's row first; the step for a new stream does not.
        Assert.Equal(newStream + 1, seenStream);
    }

    [Fact]
    public async Task An_async_projection_with_its_own_row_keys_reads_the_row_even_for_a_new_stream()
    {
        // The same keys as the default, but chosen by the projection: the runner cannot know that, so it looks.
        var (newStream, seenStream) = await TableReadsPerStepAsync(new NoteTallyProjection { KeyBy = e => e.Stream.Id });

        Assert.Equal(seenStream, newStream);
    }

    [Fact]
    public async Task A_new_streams_first_event_adds_to_a_row_another_stream_made_when_the_projection_chooses_the_keys()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection { KeyBy = e => e.Stream.Tenant + "-all" });
        await using var connection = await Database.DataSource.OpenConnectionAsync(Ct);
        var worker = Worker(store);

        await AppendNotesAsync(store, new StreamName("boston", "first"), "a", "b");
        await StepUntilAppliedAsync(worker, connection);
        await AppendNotesAsync(store, new StreamName("boston", "second"), "c");
        await StepUntilAppliedAsync(worker, connection);

        var row = Assert.Single(await RowsAsync());
        Assert.Equal("boston/boston-all", row.Key);
        Assert.Equal(3, row.Value.Notes);
        Assert.Equal("c", row.Value.LastText);
    }

    [Fact]
    public async Task Concurrent_writers_opening_streams_keep_an_async_projection_keyed_by_stream_equal_to_the_log()
    {
        var store = await CreateStoreAsync(null, new PerStreamNoteTally());
        await using var daemon = new DaemonHost(store, new ProjectionDaemonOptions
        {
            NodeId = "node-a",
            BatchSize = 7,
            PollInterval = TimeSpan.FromMilliseconds(200),
            OwnershipRetryInterval = TimeSpan.FromMilliseconds(300),
        });
        await daemon.StartAsync();

        // Eight writers each open streams and add to them, while the daemon applies batches that cut through streams
        // at any point: a stream's first event, its later ones, both in one batch.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(
            async () =>
            {
                for (var i = 0; i < 15; i++)
                {
                    var stream = new StreamName(writer % 2 == 0 ? "boston" : "cambridge", $"w{writer}-s{i}");
                    await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 1 + (i % 3)), Ct);
                    await AppendNotesAsync(store, stream, $"later {i}");
                }
            },
            Ct)));

        await CaughtUpAsync(store);

        var expected = NoteTallyProjection.Expected(await WholeLogAsync(store));
        Assert.Equal(120, expected.Count);
        AssertSameRows(expected, await RowsAsync());
    }

    /// <summary>
    /// Reads of the projection's table during the step that applies a new stream's first append, and during the step
    /// that applies a later append to it (one stream per step, so each load is a single key lookup), for three streams.
    /// </summary>
    private async Task<(long NewStream, long SeenStream)> TableReadsPerStepAsync(Projection projection)
    {
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = await CreateStoreAsync(dataSource, projection);
        var worker = Worker(store);
        var table = $"{Schema}.note_tally";
        long newStream = 0, seenStream = 0;
        for (var i = 0; i < 3; i++)
        {
            var stream = new StreamName("boston", $"thing-{i}");
            var before = await ReadsAsync(dataSource, table);
            await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);
            await StepUntilAppliedAsync(worker, dataSource);
            var afterNew = await ReadsAsync(dataSource, table);
            await AppendNotesAsync(store, stream, "later");
            await StepUntilAppliedAsync(worker, dataSource);
            var afterSeen = await ReadsAsync(dataSource, table);
            newStream += afterNew - before;
            seenStream += afterSeen - afterNew;
        }

        var log = await WholeLogAsync(store);
        AssertSameRows(NoteTallyProjection.Expected(log), await RowsAsync());
        return (newStream / 3, seenStream / 3);
    }

    private static ProjectionWorker Worker(PostgresEventStore store) =>
        new(store, store.Projections.Runners.Single(), new ProjectionDaemonOptions { NodeId = "test", BatchSize = 100 });

    private static async Task StepUntilAppliedAsync(ProjectionWorker worker, NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await StepUntilAppliedAsync(worker, connection);
    }

    /// <summary>Steps until a step applies something: the append is readable once every older transaction has ended.</summary>
    private static async Task StepUntilAppliedAsync(ProjectionWorker worker, NpgsqlConnection connection)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var record = await worker.ReadRecordAsync(connection, Ct);
            if (await worker.StepAsync(connection, record.Checkpoint, Ct) > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the append did not become readable");
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Reads of the table (scans of it and of its indexes), including the ones not reported yet.</summary>
    private static Task<long> ReadsAsync(NpgsqlDataSource dataSource, string table) =>
        TableStatisticAsync(dataSource, table, "SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relid = $1::regclass");

    /// <summary>The note tally with the default row key: it does not override <see cref="Projection{TRow}.RowKey"/>.</summary>
    private sealed class PerStreamNoteTally : Projection<NoteTally>
    {
        private readonly NoteTallyProjection _tally = new() { RecordsActors = false };

        public override string Name => _tally.Name;

        public override IReadOnlyCollection<Type> EventTypes => _tally.EventTypes;

        public override IReadOnlyList<ProjectionColumn<NoteTally>> Columns => _tally.Columns;

        public override IReadOnlyList<EntryTable> EntryTables => _tally.EntryTables;

        public override bool ReadsMetadata => false;

        public override NoteTally? Apply(NoteTally? row, RecordedEvent recorded, ProjectionOutput output) => _tally.Apply(row, recorded, output);
    }
}
