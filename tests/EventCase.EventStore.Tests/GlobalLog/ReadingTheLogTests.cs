using System.Text.Json;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.GlobalLog;

public sealed class ReadingTheLogTests(DatabaseFixture database) : StoreTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_log_reads_in_batches_from_a_checkpoint_without_repeating_or_missing_events()
    {
        var start = await EndOfLogAsync();
        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 25), Ct);
        await ReadLogUntilAsync(start, 25);

        var seen = new List<RecordedEvent>();
        var checkpoint = start;
        while (true)
        {
            var batch = await Store.ReadLogAsync(checkpoint, 10, cancellationToken: Ct);
            if (batch.Events.Count == 0)
            {
                Assert.Equal(checkpoint, batch.Checkpoint);
                break;
            }

            seen.AddRange(batch.Events);
            checkpoint = batch.Checkpoint;
        }

        Assert.Equal(25, seen.Count);
        Assert.Equal(Enumerable.Range(1, 25).Select(v => (long)v), seen.Select(e => e.StreamVersion));
        Assert.Equal(seen.Select(e => e.LogPosition).Order(), seen.Select(e => e.LogPosition));
    }

    [Fact]
    public async Task The_log_can_be_filtered_by_event_type()
    {
        var start = await EndOfLogAsync();
        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 5), Ct);
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(5), [TestEvents.New(new RareThingHappened(7))], Ct);
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(6), TestEvents.Notes(stream.Id, 5), Ct);

        var both = await ReadLogUntilAsync(start, 11, ["test.rare-thing-happened.v1", "test.note-added.v1"]);
        var rare = await Store.ReadLogAsync(start, 100, ["test.rare-thing-happened.v1"], Ct);

        Assert.Equal(new RareThingHappened(7), Assert.Single(rare.Events).Data);
        Assert.Equal(11, both.Count);
        Assert.Empty((await Store.ReadLogAsync(both[^1].LogPosition, 100, cancellationToken: Ct)).Events);
    }

    [Fact]
    public async Task Filtering_a_rare_type_out_of_a_large_log_uses_the_type_index_instead_of_scanning()
    {
        // 200,000 common events and a handful of rare ones, written straight into the table to keep the test fast.
        await using (var fill = DataSource.CreateCommand(
            """
            INSERT INTO eventcase.events (tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at)
            SELECT 'bulk', 's' || (g / 10), (g % 10) + 1, gen_random_uuid(),
                   CASE WHEN g % 40000 = 0 THEN 'test.rare-thing-happened.v1' ELSE 'test.note-added.v1' END,
                   CASE WHEN g % 40000 = 0 THEN jsonb_build_object('number', g) ELSE jsonb_build_object('thingId', 's', 'text', 'bulk') END,
                   '{"actorId":"bulk","actorRole":"system"}', now()
              FROM generate_series(0, 199999) g;
            ANALYZE eventcase.events;
            """))
        {
            await fill.ExecuteNonQueryAsync(Ct);
        }

        await using var explain = DataSource.CreateCommand(
            """
            EXPLAIN (ANALYZE, FORMAT JSON)
            SELECT position FROM eventcase.events
             WHERE (transaction_id, position) > ('0'::xid8, 0) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
               AND event_type = 'test.rare-thing-happened.v1'
             ORDER BY transaction_id, position LIMIT 500
            """);
        var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync(Ct))!);
        var nodes = Flatten(plan.RootElement[0].GetProperty("Plan")).ToList();

        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() == "Seq Scan");
        Assert.Contains(nodes, n => n.TryGetProperty("Index Name", out var index) && index.GetString() == "events_type_log_order_idx");
        var rare = await ReadLogUntilAsync(LogPosition.Start, 5, ["test.rare-thing-happened.v1"]);
        Assert.Equal(5, rare.Count(e => e.Stream.Tenant == "bulk"));
    }

    [Fact]
    public async Task An_append_notifies_listeners_when_it_commits()
    {
        await using var listener = await DataSource.OpenConnectionAsync(Ct);
        var received = new List<string>();
        listener.Notification += (_, e) => received.Add(e.Channel);
        await using (var listen = new Npgsql.NpgsqlCommand("LISTEN " + Store.Options.NotificationChannel, listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 1), Ct);

        Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10), Ct), "no notification arrived within 10 s");
        Assert.Equal(["eventcase_appended"], received);
    }

    [Fact]
    public async Task A_reader_following_the_log_while_writers_commit_out_of_order_sees_every_event_once_and_each_stream_in_order()
    {
        // Positions are drawn at insert but become visible at commit. Each writer pauses at random after taking the
        // stream lock, after drawing its positions, and before committing, so that lower positions regularly become
        // visible after higher ones. A reader trusting "the highest position I saw" would skip those events.
        var start = await EndOfLogAsync();
        const int writers = 8;
        const int appendsPerWriter = 500;
        var streams = Enumerable.Range(0, 24).Select(_ => NewStream("nyc")).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromMinutes(4));
        var seen = new List<RecordedEvent>();
        var commitOrder = new System.Collections.Concurrent.ConcurrentQueue<long>();

        var reader = Task.Run(async () =>
        {
            await foreach (var e in Store.FollowLogAsync(start, batchSize: 97, pollInterval: TimeSpan.FromMilliseconds(200), cancellationToken: stop.Token))
            {
                seen.Add(e);
                if (seen.Count == writers * appendsPerWriter)
                {
                    return;
                }
            }
        }, stop.Token);

        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer * 7919);
            for (var i = 0; i < appendsPerWriter; i++)
            {
                var stream = streams[random.Next(streams.Length)];
                await using var connection = await DataSource.OpenConnectionAsync(Ct);
                await using var transaction = await connection.BeginTransactionAsync(Ct);
                await using (var lockStream = new Npgsql.NpgsqlCommand("SELECT pg_advisory_xact_lock(eventcase.stream_lock_key($1, $2))", connection, transaction))
                {
                    lockStream.Parameters.AddWithValue(stream.Tenant);
                    lockStream.Parameters.AddWithValue(stream.Id);
                    await lockStream.ExecuteNonQueryAsync(Ct);
                }

                await PauseAsync(random);
                var appended = await Store.AppendToStreamAsync(connection, transaction, stream, "thing", ExpectedVersion.Any,
                    [TestEvents.New(new NoteAdded(stream.Id, $"{writer}/{i}"))], Ct);
                await PauseAsync(random);
                await PauseAsync(random);
                await transaction.CommitAsync(Ct);
                commitOrder.Enqueue(appended.Positions[0]);
            }
        }, Ct)));

        await reader.WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var finalLog = new List<RecordedEvent>();
        var checkpoint = start;
        for (var batch = await Store.ReadLogAsync(checkpoint, 1000, cancellationToken: Ct); batch.Events.Count > 0; batch = await Store.ReadLogAsync(checkpoint, 1000, cancellationToken: Ct))
        {
            finalLog.AddRange(batch.Events);
            checkpoint = batch.Checkpoint;
        }

        Assert.Equal(writers * appendsPerWriter, finalLog.Count);
        Assert.Equal(finalLog.Select(e => e.EventId), seen.Select(e => e.EventId));
        Assert.Equal(seen.Count, seen.Select(e => e.EventId).Distinct().Count());
        foreach (var stream in seen.GroupBy(e => e.Stream))
        {
            Assert.Equal(Enumerable.Range(1, stream.Count()).Select(v => (long)v), stream.Select(e => e.StreamVersion));
        }

        // The scenario really did commit lower positions after higher ones were visible: a reader trusting the highest
        // position it had seen would have skipped events.
        long highestCommitted = 0;
        var lateCommits = 0;
        foreach (var position in commitOrder)
        {
            if (position < highestCommitted)
            {
                lateCommits++;
            }

            highestCommitted = Math.Max(highestCommitted, position);
        }

        Assert.True(lateCommits > 10, $"only {lateCommits} positions committed after a higher one; the test did not provoke the hazard");
    }

    private static Task PauseAsync(Random random) =>
        random.Next(4) == 0 ? Task.Delay(random.Next(0, 4), TestContext.Current.CancellationToken) : Task.CompletedTask;

    private static IEnumerable<JsonElement> Flatten(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var descendant in Flatten(child))
                {
                    yield return descendant;
                }
            }
        }
    }
}
