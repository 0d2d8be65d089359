using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// Whatever part of a projection cannot go on — its row key, a column's or an entry's value, a stored row that no longer
/// reads, a value PostgreSQL refuses — stops it, recorded with the event (or the row) to blame, instead of the daemon
/// trying the same batch again forever while its status says "running".
/// </summary>
public sealed class ProjectionFailureTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    private static ProjectionDaemonOptions Options() => new()
    {
        NodeId = "node-a",
        PollInterval = TimeSpan.FromMilliseconds(200),
        OwnershipRetryInterval = TimeSpan.FromMilliseconds(200),
    };

    [Theory]
    [InlineData("bad key", "no key for this note")]
    [InlineData("bad column", "no column value for this note")]
    [InlineData("bad entry", "no entry value for this note")]
    public async Task Projection_code_that_throws_outside_apply_stops_the_projection_at_the_event_to_blame(string text, string error)
    {
        var store = await CreateStoreAsync(null, new FragileTally());
        await using var daemon = new DaemonHost(store, Options());
        await daemon.StartAsync();
        await AppendNotesAsync(store, new StreamName("boston", "fine"), "all good");
        var bad = await AppendNotesAsync(store, new StreamName("boston", "broken"), text);

        var failure = await FailureAsync(store);

        Assert.Equal(bad.Positions[^1], failure.Position);
        Assert.Equal("test.note-added.v1", failure.EventType);
        Assert.Contains(error, failure.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_postgresql_refuses_to_store_stops_the_projection_instead_of_being_written_again_and_again()
    {
        var store = await CreateStoreAsync(null, new FragileTally());
        await using var daemon = new DaemonHost(store, Options());
        await daemon.StartAsync();
        // Too large for the index on last_text, and random enough not to compress below PostgreSQL's limit.
        var random = new Random(7);
        var huge = new string(Enumerable.Range(0, 12_000).Select(_ => (char)('a' + random.Next(26))).ToArray());
        var bad = await AppendNotesAsync(store, new StreamName("boston", "huge"), huge);

        var failure = await FailureAsync(store);

        Assert.Equal(bad.Positions[^1], failure.Position);
        Assert.Contains("54000", failure.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_row_that_no_longer_reads_as_the_row_type_stops_the_projection_saying_to_bump_its_version()
    {
        var store = await CreateStoreAsync(null, new FragileTally());
        await using var daemon = new DaemonHost(store, Options());
        await daemon.StartAsync();
        await AppendNotesAsync(store, new StreamName("boston", "old-shape"), "first");
        await CaughtUpAsync(store, FragileTally.Table);
        // A member whose type changed, as after a change of the row record without a new Version. (A member the row
        // type no longer has is skipped: rows are derived data.)
        await ExecuteAsync(Database.DataSource, $"UPDATE {Schema}.{FragileTally.Table} SET row_data = jsonb_set(row_data::jsonb, '{{notes}}', '\"many\"')::json");
        var next = await AppendNotesAsync(store, new StreamName("boston", "old-shape"), "second");

        var failure = await FailureAsync(store);

        Assert.Equal(next.Positions[^1], failure.Position);
        Assert.Contains("bump the projection's Version", failure.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rebuild_whose_rows_cannot_be_written_is_recorded_as_failed_naming_the_row()
    {
        var plain = await CreateStoreAsync();
        await AppendNotesAsync(plain, new StreamName("boston", "fine"), "all good");
        await AppendNotesAsync(plain, new StreamName("boston", "broken"), "bad column");
        // Every event readable before the daemon starts: the rebuild's pass folds them all (one an open transaction
        // elsewhere held back would be applied afterwards by the live path, and fail there, named by its event).
        await WholeLogAsync(plain);
        var store = await CreateStoreAsync(null, new FragileTally());
        await using var daemon = new DaemonHost(store, Options());

        await daemon.StartAsync();

        var failure = await FailureAsync(store);
        Assert.Null(failure.Position);
        Assert.Contains("writing row 'boston/broken'", failure.Error, StringComparison.Ordinal);
        Assert.Contains("no column value for this note", failure.Error, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM pg_tables WHERE schemaname = '{Schema}' AND tablename LIKE '%__rebuild'"));
    }

    private async Task<ProjectionFailure> FailureAsync(PostgresEventStore store)
    {
        await WaitUntilAsync(async () => (await StatusAsync(store, FragileTally.Table)).State == ProjectionStates.Failed, "the projection failed", seconds: 30);
        return (await StatusAsync(store, FragileTally.Table)).Failure!;
    }

    /// <summary>The note tally, with a row key, a column and an entry column that throw on notes saying so.</summary>
    private sealed class FragileTally : Projection<NoteTally>
    {
        public const string Table = "fragile_tally";

        private readonly NoteTallyProjection _tally = new(name: Table) { RecordsActors = false };

        public override string Name => Table;

        public override IReadOnlyCollection<Type> EventTypes => _tally.EventTypes;

        public override bool ReadsMetadata => false;

        public override IReadOnlyList<ProjectionColumn<NoteTally>> Columns =>
        [
            ProjectionColumn<NoteTally>.Int("notes", r => r.Notes),
            ProjectionColumn<NoteTally>.Text("last_text", r => r.LastText == "bad column" ? throw new InvalidOperationException("no column value for this note") : r.LastText),
        ];

        public override IReadOnlyList<string> Indexes => ["tenant_id, last_text"];

        public override IReadOnlyList<EntryTable> EntryTables =>
        [
            new EntryTable<NoteEntry>(
                Table + "_entries",
                [ProjectionColumn<NoteEntry>.Text("text", e => e.Text == "bad entry" ? throw new InvalidOperationException("no entry value for this note") : e.Text)]),
        ];

        public override string? RowKey(RecordedEvent recorded) =>
            recorded.Data is NoteAdded { Text: "bad key" } ? throw new InvalidOperationException("no key for this note") : base.RowKey(recorded);

        public override NoteTally? Apply(NoteTally? row, RecordedEvent recorded, ProjectionOutput output) => _tally.Apply(row, recorded, output);
    }
}
