using EventCase.EventStore.Auditing;
using EventCase.EventStore.Projections.Testing;
using EventCase.EventStore.Tests.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.EventStore.Tests.Schema;

/// <summary>
/// A log restored with pg_dump/pg_restore into another cluster keeps the transaction ids of the cluster it came from,
/// ahead of the new one's. Simulated here by moving the ids of a log's rows 2^40 ahead, which is what such a restore
/// leaves (pg_restore copies the column as it was); a real restore into a second cluster was drilled by hand (see
/// docs/operating.md, "Backups").
/// </summary>
public sealed class RestoredLogTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_log_restored_from_another_cluster_is_refused_at_start_naming_both_ways_out_and_nothing_is_written()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "restored_refused", Ct);
        await tester.AppendAsync(new StreamName("boston", "thing-1"), new ThingOpened("thing-1", "Pothole", Instant.FromUtc(2026, 11, 25, 8, 0)));
        await MoveAheadAsync("restored_refused");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => tester.Store.MigrateAsync(Ct));

        Assert.Contains("The event log in schema 'restored_refused' holds transaction ids ahead of this PostgreSQL server's", error.Message, StringComparison.Ordinal);
        Assert.Contains("pg_resetwal -e 257", error.Message, StringComparison.Ordinal);
        Assert.Contains("eventcase adopt-restored-log", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adopting_a_restored_log_lets_readers_see_it_puts_new_events_after_it_and_keeps_every_hash()
    {
        var schema = "restored_adopted";
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), schema, Ct);
        var first = new StreamName("boston", "thing-1");
        var second = new StreamName("boston", "thing-2");
        await tester.AppendAsync(first, new ThingOpened("thing-1", "Pothole", Instant.FromUtc(2026, 11, 25, 8, 0)), new NoteAdded("thing-1", "before the backup"));
        await tester.AppendAsync(second, new ThingOpened("thing-2", "Streetlight", Instant.FromUtc(2026, 11, 25, 8, 5)));
        await tester.CatchUpAsync(Ct);
        await MoveAheadAsync(schema);

        // The defect: to a reader every restored event is still in flight, and a write after another stream's meets a
        // head written by a "younger" transaction, refused however often it is tried.
        Assert.Empty((await tester.Store.ReadLogAsync(LogPosition.Start, 100, cancellationToken: Ct)).Events);
        var refused = await Record.ExceptionAsync(() => tester.Store.AppendToStreamsAsync(
            [
                new StreamAppend(new StreamName("boston", "thing-9"), "thing", ExpectedVersion.NoStream, [TestEvents.New(new ThingOpened("thing-9", "Noise", Instant.FromUtc(2026, 11, 25, 9, 0)))]),
                new StreamAppend(first, "thing", ExpectedVersion.Exactly(2), [TestEvents.New(new NoteAdded("thing-1", "refused"))]),
            ],
            Ct));
        Assert.Contains("appended to by a younger transaction", Assert.IsType<Npgsql.PostgresException>(refused).MessageText, StringComparison.Ordinal);

        var moved = await tester.Store.AdoptRestoredLogAsync(Ct);

        Assert.Equal(3, moved);
        Assert.Equal(0, await tester.Store.AdoptRestoredLogAsync(Ct));
        await tester.Store.MigrateAsync(Ct);
        await tester.Store.AppendToStreamsAsync(
            [
                new StreamAppend(new StreamName("boston", "thing-3"), "thing", ExpectedVersion.NoStream, [TestEvents.New(new ThingOpened("thing-3", "Graffiti", Instant.FromUtc(2026, 11, 25, 9, 0)))]),
                new StreamAppend(first, "thing", ExpectedVersion.Exactly(2), [TestEvents.New(new NoteAdded("thing-1", "after the restore"))]),
            ],
            Ct);
        // Its checkpoint is a place in the old order: the adoption asked for its rebuild, which the owner then runs.
        Assert.Equal(true, (await tester.QueryAsync($"SELECT rebuild_requested_at IS NOT NULL AS requested FROM {schema}.projections"))[0]["requested"]);
        // The rebuild first waits until the whole log is readable: a transaction another test class has open on the
        // shared server holds the new events back from every reader for a moment (CI once read only the first three).
        await tester.RebuildAsync(Ct);
        var log = (await tester.Store.ReadLogAsync(LogPosition.Start, 100, cancellationToken: Ct)).Events;
        Assert.Equal(
            ["thing-1/1", "thing-1/2", "thing-2/1", "thing-3/1", "thing-1/3"],
            log.Select(e => $"{e.Stream.Id}/{e.StreamVersion}"));
        var tally = (await tester.RowsAsync<NoteTally>(Ct)).Single(r => r.ThingId == "thing-1");
        Assert.Equal((2, "after the restore"), (tally.Notes, tally.LastText));
        var report = await new AuditVerifier(tester.Store).VerifyAllAsync(cancellationToken: Ct);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
        Assert.Equal(5, report.EventsChecked);
    }

    private async Task MoveAheadAsync(string schema)
    {
        // 2^40 ahead: the ids of a cluster in its 256th epoch, as a busy database's ids can be.
        await using var command = database.DataSource.CreateCommand(
            $"UPDATE {schema}.events SET transaction_id = (transaction_id::text::numeric + 1099511627776)::text::xid8");
        await command.ExecuteNonQueryAsync(Ct);
    }
}
