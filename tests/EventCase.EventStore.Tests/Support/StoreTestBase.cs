using EventCase.EventStore.Serialization;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Support;

/// <summary>
/// A migrated store in the test class's own database. Tests of one class share the database, so each test uses
/// fresh stream ids (<see cref="NewStream"/>).
/// </summary>
public abstract class StoreTestBase(DatabaseFixture database) : IAsyncLifetime
{
    protected DatabaseFixture Database { get; } = database;

    protected NpgsqlDataSource DataSource => Database.DataSource;

    protected PostgresEventStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync()
    {
        Store = CreateStore(TestEvents.Registry());
        await Store.MigrateAsync(Ct);
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected PostgresEventStore CreateStore(EventTypeRegistry registry, EventStoreOptions? options = null) =>
        new(DataSource, new EventSerializer(registry), options);

    protected static StreamName NewStream(string tenant = "boston") => new(tenant, "thing-" + Guid.NewGuid().ToString("N"));

    protected async Task<long> CountEventsAsync(string where = "true")
    {
        await using var command = DataSource.CreateCommand($"SELECT count(*) FROM eventcase.events WHERE {where}");
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    protected async Task<long> CountEventsAsync(StreamName stream)
    {
        await using var command = DataSource.CreateCommand("SELECT count(*) FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2");
        command.Parameters.AddWithValue(stream.Tenant);
        command.Parameters.AddWithValue(stream.Id);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>
    /// The end of the log as of now, when no writer of this class is active: the (transaction id, position) of the
    /// last committed event. Reading from here sees only what the test writes next.
    /// </summary>
    protected async Task<LogPosition> EndOfLogAsync()
    {
        await using var command = DataSource.CreateCommand(
            "SELECT transaction_id, position FROM eventcase.events ORDER BY transaction_id DESC, position DESC LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        return await reader.ReadAsync(Ct) ? new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)) : LogPosition.Start;
    }

    /// <summary>
    /// Reads the log after <paramref name="after"/> until <paramref name="count"/> events have been seen. The no-skip
    /// guard holds readers back while any older transaction on the cluster (other test classes share it) is still
    /// running, so freshly committed events may take a moment to become readable; this waits, as a real reader does.
    /// </summary>
    protected async Task<List<RecordedEvent>> ReadLogUntilAsync(LogPosition after, int count, IReadOnlyCollection<string>? eventTypes = null)
    {
        var events = new List<RecordedEvent>();
        var checkpoint = after;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (events.Count < count)
        {
            var batch = await Store.ReadLogAsync(checkpoint, 1000, eventTypes, Ct);
            events.AddRange(batch.Events);
            checkpoint = batch.Checkpoint;
            if (batch.Events.Count == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {events.Count} of {count} events became readable within 60 s");
                await Task.Delay(20, Ct);
            }
        }

        return events;
    }

    protected async Task<long> MaxPositionAsync()
    {
        await using var command = DataSource.CreateCommand("SELECT coalesce(max(position), 0) FROM eventcase.events");
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
