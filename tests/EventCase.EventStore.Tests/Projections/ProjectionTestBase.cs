using System.Text.Json;
using EventCase.EventStore.Projections;
using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>Each test gets stores in a schema of its own, so tests of a class share the database but not tables.</summary>
public abstract class ProjectionTestBase(DatabaseFixture database)
{
    protected DatabaseFixture Database { get; } = database;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected string Schema { get; } = "p_" + Guid.NewGuid().ToString("N")[..12];

    protected async Task<PostgresEventStore> CreateStoreAsync(NpgsqlDataSource? dataSource = null, params Projection[] projections)
    {
        var store = new PostgresEventStore(dataSource ?? Database.DataSource, new EventSerializer(TestEvents.Registry()), new EventStoreOptions { Schema = Schema }, projections);
        await store.MigrateAsync(Ct);
        return store;
    }

    protected static Task<AppendResult> AppendNotesAsync(PostgresEventStore store, StreamName stream, params string[] texts) =>
        store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, texts.Select(t => TestEvents.New(new NoteAdded(stream.Id, t))).ToArray(), Ct);

    /// <summary>Every event of the log, once everything committed is readable.</summary>
    protected async Task<List<RecordedEvent>> WholeLogAsync(PostgresEventStore store)
    {
        await using var count = Database.DataSource.CreateCommand($"SELECT count(*) FROM {Schema}.events");
        var expected = (long)(await count.ExecuteScalarAsync(Ct))!;
        var events = new List<RecordedEvent>();
        var checkpoint = LogPosition.Start;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (events.Count < expected)
        {
            var batch = await store.ReadLogAsync(checkpoint, 5000, cancellationToken: Ct);
            events.AddRange(batch.Events);
            checkpoint = batch.Checkpoint;
            if (batch.RowsRead == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the log did not become readable");
                await Task.Delay(20, Ct);
            }
        }

        return events;
    }

    protected async Task<Dictionary<string, NoteTally>> RowsAsync(string table = "note_tally")
    {
        await using var command = Database.DataSource.CreateCommand($"SELECT tenant_id, row_key, row_data::text FROM {Schema}.{table}");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new Dictionary<string, NoteTally>(StringComparer.Ordinal);
        var options = EventSerializer.CreateDefaultOptions();
        while (await reader.ReadAsync(Ct))
        {
            rows[reader.GetString(0) + "/" + reader.GetString(1)] = JsonSerializer.Deserialize<NoteTally>(reader.GetString(2), options)!;
        }

        return rows;
    }

    /// <summary>A count from the statistics views (<paramref name="sql"/>, with the table as $1), including what the (only) backend has not reported yet.</summary>
    protected static async Task<long> TableStatisticAsync(NpgsqlDataSource dataSource, string table, string sql)
    {
        // A backend reports its statistics when it goes idle, at most once a second unless told to at once.
        await ExecuteAsync(dataSource, "SELECT pg_stat_force_next_flush()");
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    protected static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    protected async Task<long> CountAsync(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    protected static void AssertSameRows(Dictionary<string, NoteTally> expected, Dictionary<string, NoteTally> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, row) in expected)
        {
            var other = actual[key];
            Assert.Equal(row.Notes, other.Notes);
            Assert.Equal(row.Positions, other.Positions);
            Assert.Equal(row.LastText, other.LastText);
            Assert.Equal(row.Title, other.Title);
        }
    }

    protected static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {seconds} s waiting until {what}");
            await Task.Delay(25, Ct);
        }
    }

    protected static async Task<ProjectionStatus> StatusAsync(PostgresEventStore store, string name = "note_tally") =>
        (await store.Projections.GetStatusAsync(Ct)).Single(s => s.Name == name);

    /// <summary>Waits until the projection's checkpoint covers every event in the log.</summary>
    protected async Task CaughtUpAsync(PostgresEventStore store, string name = "note_tally", int seconds = 60)
    {
        await WaitUntilAsync(async () =>
        {
            var status = await StatusAsync(store, name);
            return status.State == ProjectionStates.Running && status.Built && status.LagEvents == 0;
        }, $"{name} caught up", seconds);
    }
}
