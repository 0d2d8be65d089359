using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// A new version of an inline projection starts on the old version's live tables until its rebuild swaps new ones in:
/// appends go on meanwhile, writing what the new code makes into tables that got its new columns at start.
/// </summary>
public sealed class ProjectionUpgradeTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Appends_go_on_when_a_new_version_of_an_inline_projection_adds_a_column_before_its_rebuild()
    {
        var v1 = await CreateStoreAsync(null, new UpgradableTally(version: 1, withLastText: false));
        await AppendNotesAsync(v1, new StreamName("boston", "s-1"), "one", "two");
        // A member only the old version's rows have: rows are derived data, read leniently.
        await ExecuteAsync(Database.DataSource, $"UPDATE {Schema}.note_tally SET row_data = jsonb_set(row_data::jsonb, '{{oldMember}}', '1')::json");

        var v2 = await CreateStoreAsync(null, new UpgradableTally(version: 2, withLastText: true));
        await AppendNotesAsync(v2, new StreamName("boston", "s-1"), "three");
        await AppendNotesAsync(v2, new StreamName("boston", "s-2"), "first of s-2");

        await using var command = Database.DataSource.CreateCommand($"SELECT row_key, notes, last_text FROM {Schema}.note_tally ORDER BY row_key");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(string Key, int Notes, string? LastText)>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add((reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        Assert.Equal(new List<(string Key, int Notes, string? LastText)> { ("s-1", 3, "three"), ("s-2", 1, "first of s-2") }, rows);
        // The new version's rebuild is still to come: the live tables are the old version's, with the new column.
        Assert.Equal(1, (await StatusAsync(v2)).Version);
    }

    [Fact]
    public async Task Starting_again_with_the_same_version_does_not_wait_for_readers_of_its_tables()
    {
        await CreateStoreAsync(null, new UpgradableTally(version: 1, withLastText: true));
        // A reader in the middle of a transaction: an ALTER TABLE ... ADD COLUMN, even one that adds nothing, would
        // wait for it (and every query after it would queue behind that).
        await using var reader = await Database.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await reader.BeginTransactionAsync(Ct);
        await using (var read = new NpgsqlCommand($"SELECT count(*) FROM {Schema}.note_tally", reader, transaction))
        {
            await read.ExecuteScalarAsync(Ct);
        }

        await CreateStoreAsync(null, new UpgradableTally(version: 1, withLastText: true)).WaitAsync(TimeSpan.FromSeconds(20), Ct);
    }

    /// <summary>The note tally as an inline projection whose second version adds a column.</summary>
    private sealed class UpgradableTally(int version, bool withLastText) : Projection<NoteTally>
    {
        private readonly NoteTallyProjection _tally = new(ProjectionMode.Inline) { RecordsActors = false };

        public override string Name => "note_tally";

        public override int Version => version;

        public override ProjectionMode Mode => ProjectionMode.Inline;

        public override IReadOnlyCollection<Type> EventTypes => _tally.EventTypes;

        public override bool ReadsMetadata => false;

        public override IReadOnlyList<ProjectionColumn<NoteTally>> Columns =>
            withLastText
                ? [ProjectionColumn<NoteTally>.Int("notes", r => r.Notes), ProjectionColumn<NoteTally>.Text("last_text", r => r.LastText)]
                : [ProjectionColumn<NoteTally>.Int("notes", r => r.Notes)];

        public override IReadOnlyList<EntryTable> EntryTables => _tally.EntryTables;

        public override NoteTally? Apply(NoteTally? row, RecordedEvent recorded, ProjectionOutput output) => _tally.Apply(row, recorded, output);
    }
}
