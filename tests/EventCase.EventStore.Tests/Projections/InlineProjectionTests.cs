using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Projections;

public sealed class InlineProjectionTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_writer_reads_its_own_write_in_an_inline_projection_as_soon_as_the_append_returns()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var stream = new StreamName("boston", "thing-1");

        for (var i = 1; i <= 5; i++)
        {
            var result = await AppendNotesAsync(store, stream, $"note {i}");
            var row = (await RowsAsync())["boston/thing-1"];
            Assert.Equal(i, row.Notes);
            Assert.Equal(result.Positions[0], row.Positions[^1]);
        }

        Assert.Equal(5, await CountAsync($"SELECT count(*) FROM {Schema}.note_tally_entries"));
    }

    [Fact]
    public async Task Rows_are_looked_up_by_key_even_through_plans_cached_while_the_table_was_nearly_empty()
    {
        // One connection, so that every batch append reuses the statements it prepared while the table was small
        // (where scanning it is the cheapest plan). Imports append like this: many streams per transaction.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = await CreateStoreAsync(dataSource, new NoteTallyProjection(ProjectionMode.Inline));
        var table = $"{Schema}.note_tally";

        // No ANALYZE (nor any change to the table's definition) comes to replace the plans once they are cached.
        await ExecuteAsync(dataSource, $"ALTER TABLE {table} SET (autovacuum_enabled = false)");
        async Task AppendToEveryStreamAsync(string text) => await store.AppendToStreamsAsync(
            [.. Enumerable.Range(0, 100).Select(s => new StreamAppend(new StreamName("boston", $"c-{s}"), "thing", ExpectedVersion.Any, [TestEvents.New(new NoteAdded($"c-{s}", text))]))],
            Ct);
        for (var i = 0; i < 8; i++)
        {
            await AppendToEveryStreamAsync($"early {i}");
        }

        // The table grows behind the cached plans' back.
        await GrowAsync(dataSource, table, 200);
        var scansBefore = await SequentialScansAsync(dataSource, table);

        for (var i = 0; i < 3; i++)
        {
            await AppendToEveryStreamAsync($"later {i}");
        }

        Assert.Equal(scansBefore, await SequentialScansAsync(dataSource, table));
        Assert.Equal(11, (await RowsAsync())["boston/c-0"].Notes);
    }

    [Fact]
    public async Task A_single_stream_append_looks_its_row_up_through_the_key_however_much_the_table_grew_since_the_first()
    {
        // One connection, so that every append reuses the statements it prepared while the table was all but empty: a
        // plan kept from then may read any index that starts with the tenant and holds the key, as the work queue's
        // do (decision 0014).
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = await CreateStoreAsync(dataSource, new NoteTallyProjection(ProjectionMode.Inline) { MoreIndexes = ["tenant_id, title, last_text, row_key"] });
        var table = $"{Schema}.note_tally";
        await ExecuteAsync(dataSource, $"ALTER TABLE {table} SET (autovacuum_enabled = false)");
        var version = new Dictionary<int, long>();
        async Task AppendToEachStreamAsync(string text)
        {
            for (var s = 0; s < 4; s++)
            {
                var result = await store.AppendToStreamAsync(
                    new StreamName("boston", $"s-{s}"), "thing", ExpectedVersion.Exactly(version.GetValueOrDefault(s)), [TestEvents.New(new NoteAdded($"s-{s}", text))], Ct);
                version[s] = result.NextExpectedVersion;
            }
        }

        for (var i = 0; i < 8; i++)
        {
            await AppendToEachStreamAsync($"early {i}");
        }

        await GrowAsync(dataSource, table, 5000);
        var scansBefore = await SequentialScansAsync(dataSource, table);
        var otherIndexScansBefore = await OtherIndexScansAsync(dataSource, table);

        for (var i = 0; i < 3; i++)
        {
            await AppendToEachStreamAsync($"later {i}");
        }

        Assert.Equal(scansBefore, await SequentialScansAsync(dataSource, table));
        Assert.Equal(otherIndexScansBefore, await OtherIndexScansAsync(dataSource, table));
        Assert.Equal(11, (await RowsAsync())["boston/s-0"].Notes);
    }

    [Fact]
    public async Task A_streams_first_append_reads_nothing_from_an_inline_projections_table_and_later_appends_read_their_row()
    {
        // An inline projection's row is its stream's: before a stream's first event there is none to read.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = await CreateStoreAsync(dataSource, new NoteTallyProjection(ProjectionMode.Inline));
        var table = $"{Schema}.note_tally";
        var streams = Enumerable.Range(0, 5).Select(i => new StreamName("boston", $"new-{i}")).ToList();
        var readsBefore = await ReadsAsync(dataSource, table);

        foreach (var stream in streams)
        {
            await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);
        }

        var readsAfterFirst = await ReadsAsync(dataSource, table);
        foreach (var stream in streams)
        {
            await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(2), TestEvents.Notes(stream.Id, 1), Ct);
        }

        var readsAfterLater = await ReadsAsync(dataSource, table);

        // Both kinds of append look the key up once to write the row (the upsert's conflict check); only a later
        // append reads the row first, once per stream.
        Assert.Equal(readsAfterLater - readsAfterFirst - streams.Count, readsAfterFirst - readsBefore);
        Assert.True(readsAfterFirst - readsBefore <= streams.Count, $"{readsAfterFirst - readsBefore} reads for {streams.Count} first appends");
        Assert.All(streams, s => Assert.Equal(3, RowsAsync().Result[$"boston/{s.Id}"].Notes));
    }

    /// <summary>Reads of the table (scans of it and of its indexes), including the ones not reported yet.</summary>
    private static Task<long> ReadsAsync(NpgsqlDataSource dataSource, string table) =>
        TableStatisticAsync(dataSource, table, "SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relid = $1::regclass");

    /// <summary>Scans of the table's indexes other than its key, including the ones not reported yet.</summary>
    private static Task<long> OtherIndexScansAsync(NpgsqlDataSource dataSource, string table) =>
        TableStatisticAsync(
            dataSource,
            table,
            "SELECT coalesce(sum(idx_scan), 0)::bigint FROM pg_stat_user_indexes WHERE relid = $1::regclass AND indexrelid <> (SELECT conindid FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p')");

    /// <summary>Adds <paramref name="copies"/> rows under other keys for every row of the table, behind the store's back.</summary>
    private static Task GrowAsync(NpgsqlDataSource dataSource, string table, int copies) => ExecuteAsync(
        dataSource,
        $"""
         INSERT INTO {table}
         SELECT (jsonb_populate_record(NULL::{table}, to_jsonb(t) || jsonb_build_object('row_key', t.row_key || '-' || g, 'notes', g))).*
           FROM {table} t, generate_series(1, {copies}) g
         """);

    /// <summary>Sequential scans of the table so far, including the ones the (only) backend has not reported yet.</summary>
    private static Task<long> SequentialScansAsync(NpgsqlDataSource dataSource, string table) =>
        TableStatisticAsync(dataSource, table, "SELECT seq_scan FROM pg_stat_user_tables WHERE relid = $1::regclass");

    [Fact]
    public async Task A_process_that_does_not_register_an_inline_projection_reports_it_as_inline_and_current()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        for (var i = 0; i < 5; i++)
        {
            await AppendNotesAsync(store, new StreamName("boston", $"t-{i}"), "a note");
        }

        // A service or the CLI beside the host that registers it: the same schema, none of its projections.
        var other = await CreateStoreAsync();
        var status = (await other.Projections.GetStatusAsync(Ct)).Single(s => s.Name == "note_tally");

        Assert.Equal(ProjectionMode.Inline, status.Mode);
        Assert.Equal(0, status.LagEvents);
        Assert.Equal(TimeSpan.Zero, status.Lag);
    }

    [Fact]
    public async Task An_inline_projection_commits_and_rolls_back_with_the_append()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var stream = new StreamName("boston", "thing-2");

        await using (var connection = await Database.DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await store.AppendToStreamAsync(connection, transaction, stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 3), Ct);
            await transaction.RollbackAsync(Ct);
        }

        Assert.Empty(await RowsAsync());
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM {Schema}.events"));
    }

    [Fact]
    public async Task The_stores_own_transaction_commits_with_the_inline_writes_unless_entries_are_still_to_be_copied()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        // A title writes a row and no entry: the commit can ride with the row's write. A note also emits an entry, which
        // is copied after the rows: the transaction must still be open for it, and its owner commits.
        var cases = new (string Thing, object Data, bool CommitsWithWrites)[]
        {
            ("thing-20", new ThingOpened("thing-20", "lamp post", NodaTime.Instant.FromUtc(2026, 3, 1, 9, 0)), true),
            ("thing-21", new NoteAdded("thing-21", "flickering"), false),
        };
        foreach (var (thing, data, commitsWithWrites) in cases)
        {
            var stream = new StreamName("boston", thing);
            await using var connection = await Database.DataSource.OpenConnectionAsync(Ct);
            await using var transaction = await connection.BeginTransactionAsync(Ct);
            var recorded = new RecordedEvent(
                1, 1, stream, 1, Guid.NewGuid(), store.Serializer.Registry.GetName(data.GetType()), store.Serializer.Registry.GetName(data.GetType()),
                data, TestEvents.Actor, NodaTime.Instant.FromUtc(2026, 3, 1, 9, 0));

            var committed = await store.Projections.ApplyInlineAsync(connection, transaction, [recorded], commit: true, Ct);

            Assert.Equal(commitsWithWrites, committed);
            Assert.Equal(commitsWithWrites, (await RowsAsync()).ContainsKey("boston/" + thing));
            if (committed)
            {
                // Already committed: the transaction object knows, and refuses a second commit.
                await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.CommitAsync(Ct));
            }
            else
            {
                await transaction.CommitAsync(Ct);
            }

            Assert.True((await RowsAsync()).ContainsKey("boston/" + thing));
        }

        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM {Schema}.note_tally_entries"));
    }

    [Fact]
    public async Task An_inline_write_the_database_refuses_fails_the_append_and_leaves_nothing_behind_on_the_connection()
    {
        // One connection, so the append after the refused one reuses the connection the refusal happened on: it would
        // fail if that connection had come back to the pool inside the aborted transaction.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = await CreateStoreAsync(dataSource, new NoteTallyProjection(ProjectionMode.Inline));
        await ExecuteAsync(dataSource, $"ALTER TABLE {Schema}.note_tally ADD CONSTRAINT no_refused_titles CHECK (title IS DISTINCT FROM 'refused')");
        var refused = new StreamName("boston", "thing-22");
        var accepted = new StreamName("boston", "thing-23");

        // The row's write is the last statement before the commit, in the same round trip.
        var error = await Assert.ThrowsAsync<PostgresException>(() => store.AppendToStreamAsync(
            refused, "thing", ExpectedVersion.NoStream, [TestEvents.New(new ThingOpened(refused.Id, "refused", NodaTime.Instant.FromUtc(2026, 3, 1, 9, 0)))], Ct));
        await store.AppendToStreamAsync(
            accepted, "thing", ExpectedVersion.NoStream, [TestEvents.New(new ThingOpened(accepted.Id, "accepted", NodaTime.Instant.FromUtc(2026, 3, 1, 9, 0)))], Ct);

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM {Schema}.events"));
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM {Schema}.streams WHERE stream_id = '{refused.Id}'"));
        Assert.Equal(["boston/thing-23"], (await RowsAsync()).Keys);
    }

    [Fact]
    public async Task Starting_the_store_again_creates_no_second_copy_of_a_projections_indexes()
    {
        async Task<long> IndexesAsync() => await CountAsync(
            $"SELECT count(*) FROM pg_indexes WHERE schemaname = '{Schema}' AND tablename IN ('note_tally', 'note_tally_entries')");

        await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var first = await IndexesAsync();
        await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));

        // Keys of both tables, the projection's index on the rows and the entries' index.
        Assert.Equal(4, first);
        Assert.Equal(first, await IndexesAsync());

        // Copies that earlier versions made at every start are dropped at the next one.
        await using (var copies = Database.DataSource.CreateCommand(
            $"CREATE INDEX ON {Schema}.note_tally (tenant_id, notes DESC); CREATE INDEX ON {Schema}.note_tally (tenant_id, notes DESC); CREATE INDEX ON {Schema}.note_tally_entries (tenant_id, row_key, position)"))
        {
            await copies.ExecuteNonQueryAsync(Ct);
        }

        await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        Assert.Equal(first, await IndexesAsync());
        await AppendNotesAsync((await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline))), new StreamName("boston", "thing-9"), "still indexed");
        Assert.Equal(1, (await RowsAsync())["boston/thing-9"].Notes);
    }

    [Fact]
    public async Task An_append_in_the_callers_transaction_leaves_its_planner_settings_as_they_were()
    {
        // The inline projections look rows up with sequential scans off and generic plans forced; the caller's
        // transaction goes on after the append, with its own settings, whether the defaults or its own choice.
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var settings = new List<string>();
        foreach (var (seqscan, planMode, stream) in new[] { ("on", "auto", new StreamName("boston", "thing-5")), ("off", "force_custom_plan", new StreamName("boston", "thing-6")) })
        {
            await using var connection = await Database.DataSource.OpenConnectionAsync(Ct);
            await using var transaction = await connection.BeginTransactionAsync(Ct);
            await using (var set = new NpgsqlCommand($"SET LOCAL enable_seqscan = {seqscan}; SET LOCAL plan_cache_mode = {planMode}", connection, transaction))
            {
                await set.ExecuteNonQueryAsync(Ct);
            }

            await store.AppendToStreamAsync(connection, transaction, stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);
            await using (var show = new NpgsqlCommand("SELECT current_setting('enable_seqscan') || ' ' || current_setting('plan_cache_mode')", connection, transaction))
            {
                settings.Add((string)(await show.ExecuteScalarAsync(Ct))!);
            }

            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(["on auto", "off force_custom_plan"], settings);
        Assert.Equal(2, (await RowsAsync())["boston/thing-6"].Notes);
    }

    [Fact]
    public async Task An_inline_projection_that_throws_fails_the_append_and_nothing_is_written()
    {
        var projection = new NoteTallyProjection(ProjectionMode.Inline) { FailOnText = "poison" };
        var store = await CreateStoreAsync(null, projection);
        var stream = new StreamName("boston", "thing-3");

        var error = await Assert.ThrowsAsync<ProjectionFailedException>(() => AppendNotesAsync(store, stream, "fine", "poison"));

        Assert.Equal("note_tally", error.ProjectionName);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM {Schema}.events"));
        Assert.Empty(await RowsAsync());
    }

    [Fact]
    public async Task An_inline_projection_that_keys_a_row_by_anything_but_its_stream_fails_the_append_and_nothing_is_written()
    {
        // One row for every stream would be changed by appends holding different stream locks: updates would be lost.
        var projection = new NoteTallyProjection(ProjectionMode.Inline) { KeyBy = _ => "everything" };
        var store = await CreateStoreAsync(null, projection);
        var stream = new StreamName("boston", "thing-5");

        var error = await Assert.ThrowsAsync<ProjectionFailedException>(() => AppendNotesAsync(store, stream, "one"));

        Assert.Equal("note_tally", error.ProjectionName);
        Assert.Contains("one row per stream", error.Message, StringComparison.Ordinal);
        Assert.Contains("'everything'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM {Schema}.events"));
        Assert.Empty(await RowsAsync());
    }

    [Fact]
    public async Task An_inline_projection_may_skip_events_through_its_row_key()
    {
        var projection = new NoteTallyProjection(ProjectionMode.Inline) { KeyBy = e => e.Data is NoteAdded { Text: "skip me" } ? null : e.Stream.Id };
        var store = await CreateStoreAsync(null, projection);
        var stream = new StreamName("boston", "thing-6");

        await AppendNotesAsync(store, stream, "one", "skip me", "two");

        Assert.Equal(2, (await RowsAsync())[stream.Tenant + "/" + stream.Id].Notes);
    }

    [Fact]
    public async Task An_idempotent_retry_is_not_applied_to_an_inline_projection_twice()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var stream = new StreamName("boston", "thing-4");
        var events = TestEvents.Notes(stream.Id, 2);

        await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct);
        var retry = await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct);

        Assert.True(retry.AlreadyAppended);
        Assert.Equal(2, (await RowsAsync())["boston/thing-4"].Notes);
    }

    [Fact]
    public async Task Concurrent_writers_keep_an_inline_projection_equal_to_the_log()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var streams = Enumerable.Range(0, 10).Select(i => new StreamName("boston", $"busy-{i}")).ToArray();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < 50; i++)
            {
                await AppendNotesAsync(store, streams[random.Next(streams.Length)], $"{writer}/{i}");
            }
        }, Ct)));

        AssertSameRows(NoteTallyProjection.Expected(await WholeLogAsync(store)), await RowsAsync());
    }

    [Fact]
    public async Task Rebuilding_an_inline_projection_while_writers_append_loses_nothing()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var streams = Enumerable.Range(0, 8).Select(i => new StreamName("boston", $"rebuilt-{i}")).ToArray();
        for (var i = 0; i < 200; i++)
        {
            await AppendNotesAsync(store, streams[i % streams.Length], $"before {i}");
        }

        await using var daemon = new DaemonHost(store, new ProjectionDaemonOptions { NodeId = "inline-node", PollInterval = TimeSpan.FromMilliseconds(200) });
        await daemon.StartAsync();
        await CaughtUpAsync(store);
        using var stopWriters = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(writer => Task.Run(async () =>
        {
            var i = 0;
            while (!stopWriters.IsCancellationRequested)
            {
                await AppendNotesAsync(store, streams[(writer + i) % streams.Length], $"during {writer}/{i++}");
            }
        }, Ct)).ToArray();

        await store.Projections.RequestRebuildAsync("note_tally", Ct);
        await WaitUntilAsync(async () => (await StatusAsync(store)).Rebuild?.StartedAt is not null, "the rebuild started");
        await WaitUntilAsync(async () => (await StatusAsync(store)) is { State: ProjectionStates.Running, Rebuild.Events: > 0 }, "the rebuild finished");
        await Task.Delay(200, Ct);
        await stopWriters.CancelAsync();
        await Task.WhenAll(writers);

        var log = await WholeLogAsync(store);
        Assert.True(log.Count > 200);
        AssertSameRows(NoteTallyProjection.Expected(log), await RowsAsync());
        Assert.Equal(log.Count(e => e.Data is NoteAdded), await CountAsync($"SELECT count(*) FROM {Schema}.note_tally_entries"));
    }

    [Fact]
    public async Task A_long_write_transaction_at_the_swap_delays_an_inline_rebuild_without_restarting_it_or_holding_appends_off()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Inline));
        var stream = new StreamName("boston", "swapped");
        for (var i = 0; i < 50; i++)
        {
            await AppendNotesAsync(store, stream, $"before {i}");
        }

        // A writer elsewhere on the server keeps a transaction open (with an id) while events are appended after it:
        // the end of the log stays invisible until it ends.
        await using var longWriter = await Database.DataSource.OpenConnectionAsync(Ct);
        await using var longTransaction = await longWriter.BeginTransactionAsync(Ct);
        await using (var takeId = new NpgsqlCommand("SELECT pg_current_xact_id()", longWriter, longTransaction))
        {
            await takeId.ExecuteScalarAsync(Ct);
        }

        await AppendNotesAsync(store, stream, "after the writer began");
        await using var daemon = new DaemonHost(store, new ProjectionDaemonOptions
        {
            NodeId = "inline-node",
            PollInterval = TimeSpan.FromMilliseconds(100),
            OwnershipRetryInterval = TimeSpan.FromMilliseconds(100),
            InlineSwapVisibilityTimeout = TimeSpan.FromMilliseconds(200),
        });
        await daemon.StartAsync();
        await store.Projections.RequestRebuildAsync("note_tally", Ct);
        await WaitUntilAsync(async () => (await StatusAsync(store)) is { State: ProjectionStates.Rebuilding, Rebuild.StartedAt: not null }, "the rebuild started");
        var started = (await StatusAsync(store)).Rebuild!.StartedAt;

        // Long enough for several swaps to have timed out, had the rebuild tried one (and so for it to have started
        // again from the first event): it waits instead, and appends go on meanwhile.
        for (var i = 0; i < 5; i++)
        {
            await AppendNotesAsync(store, stream, $"while waiting {i}");
            await Task.Delay(200, Ct);
        }

        var waiting = await StatusAsync(store);
        Assert.Equal(ProjectionStates.Rebuilding, waiting.State);
        Assert.NotNull(waiting.WaitingOn);

        await longTransaction.RollbackAsync(Ct);
        await WaitUntilAsync(async () => (await StatusAsync(store)) is { State: ProjectionStates.Running, Built: true }, "the rebuild finished");

        Assert.Equal(started, (await StatusAsync(store)).Rebuild!.StartedAt);
        var log = await WholeLogAsync(store);
        AssertSameRows(NoteTallyProjection.Expected(log), await RowsAsync());
        Assert.Equal(56, await CountAsync($"SELECT count(*) FROM {Schema}.note_tally_entries"));
    }
}
