using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Projections;

public sealed class ProjectionStatusTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_status_report_reads_a_handful_of_the_logs_rows_however_long_the_log_is()
    {
        // Every readiness probe and status report asks for this: in a soak run it read the whole log's key (the head) and,
        // for each inline projection, every event since its last rebuild, so it grew slower with every event written.
        // One connection, so that the statistics of the report's reads are the only backend's to flush.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = await CreateStoreAsync(dataSource, new NoteTallyProjection(ProjectionMode.Inline));
        var appended = await store.AppendToStreamsAsync(
            [.. Enumerable.Range(0, 20).Select(s => new StreamAppend(new StreamName("boston", $"c-{s}"), "thing", ExpectedVersion.NoStream, TestEvents.Notes($"c-{s}", 100)))],
            Ct);
        var readBefore = await LogRowsReadAsync(dataSource);

        var status = await StatusAsync(store);

        var read = await LogRowsReadAsync(dataSource) - readBefore;
        Assert.Equal(appended[^1].Positions[^1], status.HeadPosition);
        Assert.Equal(0, status.LagEvents);
        Assert.True(read < 100, $"the status report read {read} rows of a log of 2000 events");
    }

    [Fact]
    public async Task An_async_projections_status_counts_the_events_after_its_checkpoint()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Async));
        var appended = await AppendNotesAsync(store, new StreamName("boston", "thing-1"), "one", "two", "three");

        var status = await StatusAsync(store);

        Assert.Equal(appended.Positions[^1], status.HeadPosition);
        Assert.Equal(3, status.LagEvents);
    }

    /// <summary>Rows of the store's log read through its key, its other indexes and scans, including those not reported yet.</summary>
    private Task<long> LogRowsReadAsync(NpgsqlDataSource dataSource) => TableStatisticAsync(
        dataSource,
        $"{Schema}.events",
        """
        SELECT coalesce(sum(i.idx_tup_read), 0)::bigint + (SELECT coalesce(t.seq_tup_read, 0) FROM pg_stat_user_tables t WHERE t.relid = $1::regclass)
          FROM pg_stat_user_indexes i WHERE i.relid = $1::regclass
        """);
}
