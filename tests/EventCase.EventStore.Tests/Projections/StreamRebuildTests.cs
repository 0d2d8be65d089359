using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>Rebuilding one stream's rows when only they are wrong (<see cref="ProjectionSet.RebuildStreamAsync"/>).</summary>
public sealed class StreamRebuildTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly StreamName Thing1 = new("boston", "thing-1");
    private static readonly StreamName Thing2 = new("boston", "thing-2");

    private static ProjectionDaemonOptions Options(string node, int batchSize = 50) => new()
    {
        NodeId = node,
        BatchSize = batchSize,
        PollInterval = TimeSpan.FromMilliseconds(200),
        OwnershipRetryInterval = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>Spoils a stream's row and drops its first entry, as a hand edit or a bug would.</summary>
    private async Task SpoilAsync(StreamName stream, string table = "note_tally")
    {
        await ExecuteAsync(Database.DataSource, $"UPDATE {Schema}.{table} SET notes = 99, row_data = '{{\"thingId\":\"x\",\"notes\":99,\"positions\":[],\"lastText\":null,\"title\":null}}' WHERE row_key = '{stream.Id}'");
        await ExecuteAsync(Database.DataSource, $"DELETE FROM {Schema}.{table}_entries WHERE entry_id = (SELECT min(entry_id) FROM {Schema}.{table}_entries WHERE row_key = '{stream.Id}')");
    }

    private Task<long> EntriesAsync(StreamName stream, string table = "note_tally") =>
        CountAsync($"SELECT count(*) FROM {Schema}.{table}_entries WHERE tenant_id = '{stream.Tenant}' AND row_key = '{stream.Id}'");

    [Fact]
    public async Task A_spoiled_row_of_an_inline_projection_is_folded_again_from_its_stream_and_no_other_row_is_touched()
    {
        var store = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline));
        await AppendNotesAsync(store, Thing1, "a", "b", "c");
        await AppendNotesAsync(store, Thing2, "d", "e");
        await SpoilAsync(Thing1);
        await SpoilAsync(Thing2);

        var results = await store.Projections.RebuildStreamAsync(Thing1, cancellationToken: Ct);

        var result = Assert.Single(results);
        Assert.Equal(new StreamRebuildResult("note_tally", Thing1, 3, null, 1, 1, 2, 3, Changed: true), result);
        var expected = NoteTallyProjection.Expected(await WholeLogAsync(store));
        var rows = await RowsAsync();
        AssertSameRows(new() { ["boston/thing-1"] = expected["boston/thing-1"] }, new() { ["boston/thing-1"] = rows["boston/thing-1"] });
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM {Schema}.note_tally WHERE row_key = 'thing-1' AND notes = 3"));
        Assert.Equal(["a", "b", "c"], await EntryTextsAsync(Thing1));
        Assert.Equal("agent-7", await ScalarTextAsync($"SELECT min(actor) FROM {Schema}.note_tally_entries WHERE row_key = 'thing-1'"));

        // The other stream's rows stay as they were, spoiled.
        Assert.Equal(99, rows["boston/thing-2"].Notes);
        Assert.Equal(1, await EntriesAsync(Thing2));
    }

    [Fact]
    public async Task A_row_that_agrees_with_its_stream_is_reported_unchanged_and_keeps_its_values()
    {
        var store = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline));
        await AppendNotesAsync(store, Thing1, "a", "b");
        var before = await RowsAsync();

        var result = Assert.Single(await store.Projections.RebuildStreamAsync(Thing1, cancellationToken: Ct));

        Assert.False(result.Changed);
        Assert.Equal((1, 1, 2, 2), (result.RowsBefore, result.RowsAfter, result.EntriesBefore, result.EntriesAfter));
        AssertSameRows(before, await RowsAsync());
    }

    [Fact]
    public async Task A_dry_run_reports_a_spoiled_row_and_leaves_it_as_it_was()
    {
        var store = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline));
        await AppendNotesAsync(store, Thing1, "a", "b", "c");
        await SpoilAsync(Thing1);

        var result = Assert.Single(await store.Projections.RebuildStreamAsync(Thing1, new StreamRebuildOptions { DryRun = true }, Ct));

        Assert.True(result.Changed);
        Assert.Equal((2, 3), (result.EntriesBefore, result.EntriesAfter));
        Assert.Equal(99, (await RowsAsync())["boston/thing-1"].Notes);
        Assert.Equal(2, await EntriesAsync(Thing1));
    }

    [Fact]
    public async Task A_row_left_for_a_stream_that_has_no_events_is_removed()
    {
        var store = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline));
        await AppendNotesAsync(store, Thing1, "a");
        await ExecuteAsync(Database.DataSource, $"UPDATE {Schema}.note_tally SET row_key = 'ghost' WHERE row_key = 'thing-1'");
        await ExecuteAsync(Database.DataSource, $"UPDATE {Schema}.note_tally_entries SET row_key = 'ghost' WHERE row_key = 'thing-1'");
        var ghost = new StreamName("boston", "ghost");

        var result = Assert.Single(await store.Projections.RebuildStreamAsync(ghost, cancellationToken: Ct));

        Assert.Equal(new StreamRebuildResult("note_tally", ghost, 0, null, 1, 0, 1, 0, Changed: true), result);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM {Schema}.note_tally"));
        Assert.Equal(0, await EntriesAsync(ghost));
    }

    [Fact]
    public async Task An_async_projection_is_rebuilt_up_to_its_checkpoint_and_its_daemon_carries_on_from_there_without_doubling_an_event()
    {
        var store = await CreateStoreAsync(null, new Tally());
        await AppendNotesAsync(store, Thing1, "a", "b");
        await AppendNotesAsync(store, Thing2, "c");
        await using (var daemon = new DaemonHost(store, Options("node-a")))
        {
            await daemon.StartAsync();
            await CaughtUpAsync(store);
        }

        // With the daemon stopped, the stream grows past the projection's checkpoint: those events are the daemon's to
        // apply, not the rebuild's.
        await SpoilAsync(Thing1);
        await AppendNotesAsync(store, Thing1, "later");
        var checkpoint = (await StatusAsync(store)).Checkpoint;

        var result = Assert.Single(await store.Projections.RebuildStreamAsync(Thing1, cancellationToken: Ct));

        Assert.Equal(new StreamRebuildResult("note_tally", Thing1, 2, checkpoint, 1, 1, 1, 2, Changed: true), result);
        Assert.Equal(2, (await RowsAsync())["boston/thing-1"].Notes);

        await using (var daemon = new DaemonHost(store, Options("node-a")))
        {
            await daemon.StartAsync();
            await CaughtUpAsync(store);
        }

        AssertSameRows(NoteTallyProjection.Expected(await WholeLogAsync(store)), await RowsAsync());
        Assert.Equal(["a", "b", "later"], await EntryTextsAsync(Thing1));
    }

    [Fact]
    public async Task A_stream_rebuild_that_meets_a_step_in_flight_waits_for_it_and_includes_what_it_applied()
    {
        var store = await CreateStoreAsync(null, new Tally());
        await AppendNotesAsync(store, Thing1, "a");
        var step = new HeldStep(e => e.Data is NoteAdded { Text: "held" });
        await using var daemon = new DaemonHost(store, step.Options);
        await daemon.StartAsync();
        await CaughtUpAsync(store);
        await AppendNotesAsync(store, Thing1, "held");

        // The step has written the row with "held" and not committed: the rebuild must neither fold without it and
        // then see the step commit it on top, nor overwrite the step's row with one loaded before it.
        var result = Assert.Single(await step.RebuildBehindItAsync(store, Thing1));

        Assert.Equal(2, result.EventsApplied);
        await AppendNotesAsync(store, Thing1, "after");
        await CaughtUpAsync(store);
        AssertSameRows(NoteTallyProjection.Expected(await WholeLogAsync(store)), await RowsAsync());
        Assert.Equal(["a", "held", "after"], await EntryTextsAsync(Thing1));
    }

    [Fact]
    public async Task A_step_that_only_copies_entries_of_new_streams_is_waited_for_too()
    {
        // The step loads no row (the streams are new) and writes none (the projection keeps no row): its only writes
        // are the entries' copy, which must hold the rows lock as well, or a stream rebuild would delete them once
        // committed and write back only those up to the checkpoint it read before.
        var store = await CreateStoreAsync(null, new OpeningsOnly());
        var fresh = new StreamName("boston", "fresh");
        var step = new HeldStep(e => e.Stream == fresh);
        await using var daemon = new DaemonHost(store, step.Options);
        await daemon.StartAsync();
        await store.AppendToStreamAsync(fresh, "thing", ExpectedVersion.NoStream, [TestEvents.New(new ThingOpened(fresh.Id, "new", NodaTime.Instant.FromUtc(2026, 3, 1, 9, 0)))], Ct);

        Assert.Equal(1, Assert.Single(await step.RebuildBehindItAsync(store, fresh)).EventsApplied);

        await CaughtUpAsync(store, "openings_only");
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM {Schema}.openings_only_entries WHERE row_key = 'fresh'"));
    }

    [Fact]
    public async Task Stream_rebuilds_racing_appends_and_the_daemon_lose_no_event_and_double_none()
    {
        var store = await CreateStoreAsync(null, new Tally(), new Tally(ProjectionMode.Inline, "note_inline"));
        await using var daemon = new DaemonHost(store, Options("node-a", batchSize: 7));
        await daemon.StartAsync();
        var streams = Enumerable.Range(0, 3).Select(i => new StreamName("boston", $"race-{i}")).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var writers = streams.Select(stream => Task.Run(async () =>
        {
            for (var i = 0; i < 60; i++)
            {
                await AppendNotesAsync(store, stream, $"{stream.Id} n{i}");
            }
        }, Ct)).ToArray();
        var rebuilds = 0;
        var rebuilder = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var stream in streams)
                {
                    await store.Projections.RebuildStreamAsync(stream, cancellationToken: Ct);
                    Interlocked.Increment(ref rebuilds);
                }
            }
        }, Ct);

        await Task.WhenAll(writers);
        await CaughtUpAsync(store);
        await stop.CancelAsync();
        await rebuilder;
        await CaughtUpAsync(store);

        Assert.True(rebuilds >= 3, $"only {rebuilds} stream rebuilds ran");
        var expected = NoteTallyProjection.Expected(await WholeLogAsync(store));
        AssertSameRows(expected, await RowsAsync());
        AssertSameRows(expected, await RowsAsync("note_inline"));
        foreach (var stream in streams)
        {
            Assert.Equal(60, await EntriesAsync(stream));
            Assert.Equal(60, await EntriesAsync(stream, "note_inline"));
            Assert.Equal(60, await CountAsync($"SELECT count(DISTINCT position) FROM {Schema}.note_tally_entries WHERE row_key = '{stream.Id}'"));
        }

        // And a last rebuild finds nothing to put right.
        foreach (var stream in streams)
        {
            Assert.All(await store.Projections.RebuildStreamAsync(stream, cancellationToken: Ct), r => Assert.False(r.Changed, $"{r.Projection} of {stream.Id}"));
        }
    }

    [Fact]
    public async Task Only_projections_that_keep_one_row_per_stream_are_rebuilt_and_naming_another_is_refused()
    {
        var byTitle = new NoteTallyProjection(ProjectionMode.Async, "by_title") { KeyBy = e => "all" };
        var store = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline), byTitle);
        await AppendNotesAsync(store, Thing1, "a");

        Assert.True(store.Projections.KeepsRowsPerStream("note_tally"));
        Assert.False(store.Projections.KeepsRowsPerStream("by_title"));
        Assert.Equal(["note_tally"], (await store.Projections.RebuildStreamAsync(Thing1, cancellationToken: Ct)).Select(r => r.Projection));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            store.Projections.RebuildStreamAsync(Thing1, new StreamRebuildOptions { Projections = ["by_title"] }, Ct));
        Assert.Contains("'by_title'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("rebuilt whole", refused.Message, StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() =>
            store.Projections.RebuildStreamAsync(Thing1, new StreamRebuildOptions { Projections = ["nope"] }, Ct));
        Assert.Contains("registered: note_tally, by_title", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => store.Projections.RebuildStreamAsync(Thing1, new StreamRebuildOptions { Projections = [] }, Ct));
        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => store.Projections.RebuildStreamAsync(new StreamName("", "x"), cancellationToken: Ct));
    }

    [Fact]
    public async Task A_projection_whose_tables_another_version_built_is_refused_and_left_alone()
    {
        var store = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline));
        await AppendNotesAsync(store, Thing1, "a");
        await SpoilAsync(Thing1);
        var upgraded = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline, version: 2));

        var refused = await Assert.ThrowsAsync<StreamRebuildRefusedException>(() => upgraded.Projections.RebuildStreamAsync(Thing1, cancellationToken: Ct));

        Assert.Contains("version 1, and this is version 2", refused.Message, StringComparison.Ordinal);
        Assert.Equal("note_tally", refused.Projection);
        Assert.Equal(99, (await RowsAsync())["boston/thing-1"].Notes);
    }

    [Fact]
    public async Task A_projection_that_throws_on_one_of_the_streams_events_fails_the_rebuild_and_changes_nothing()
    {
        var projection = new Tally(ProjectionMode.Inline);
        var store = await CreateStoreAsync(null, projection);
        await AppendNotesAsync(store, Thing1, "a", "poison");
        await SpoilAsync(Thing1);
        projection.FailOnText = "poison";

        var failed = await Assert.ThrowsAsync<ProjectionFailedException>(() => store.Projections.RebuildStreamAsync(Thing1, cancellationToken: Ct));

        Assert.Equal("note_tally", failed.ProjectionName);
        Assert.Equal(2, failed.Event!.StreamVersion);
        Assert.Equal(99, (await RowsAsync())["boston/thing-1"].Notes);
        Assert.Equal(1, await EntriesAsync(Thing1));
    }

    [Fact]
    public async Task A_value_postgresql_refuses_fails_the_rebuild_naming_the_projection_that_wrote_it_and_changes_nothing()
    {
        var poisoned = new Tally(ProjectionMode.Inline, "note_second");
        var store = await CreateStoreAsync(null, new Tally(ProjectionMode.Inline), poisoned);
        await AppendNotesAsync(store, Thing1, "a");
        await SpoilAsync(Thing1);
        poisoned.Poisoned = true;

        var failed = await Assert.ThrowsAsync<ProjectionFailedException>(() => store.Projections.RebuildStreamAsync(Thing1, cancellationToken: Ct));

        Assert.Equal("note_second", failed.ProjectionName);
        Assert.IsType<PostgresException>(failed.InnerException);
        Assert.Equal(99, (await RowsAsync())["boston/thing-1"].Notes);
    }

    private async Task<List<string>> EntryTextsAsync(StreamName stream)
    {
        await using var command = Database.DataSource.CreateCommand($"SELECT text FROM {Schema}.note_tally_entries WHERE tenant_id = $1 AND row_key = $2 ORDER BY position");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var texts = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }

    private async Task<string?> ScalarTextAsync(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (string?)await command.ExecuteScalarAsync(Ct);
    }

    /// <summary>Daemon options whose step holds before its commit while its batch has an event the given predicate picks.</summary>
    private sealed class HeldStep
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HeldStep(Func<RecordedEvent, bool> holds)
        {
            Options.BeforeCommit = async (_, batch, _, ct) =>
            {
                if (batch.Events.Any(holds))
                {
                    _held.TrySetResult();
                    await _release.Task.WaitAsync(ct);
                }
            };
        }

        public ProjectionDaemonOptions Options { get; } = StreamRebuildTests.Options("node-a");

        /// <summary>
        /// Once the step holds, starts a rebuild of <paramref name="stream"/>, checks that it waits for the step (still
        /// running a while later), releases the step and returns the rebuild's results.
        /// </summary>
        public async Task<IReadOnlyList<StreamRebuildResult>> RebuildBehindItAsync(PostgresEventStore store, StreamName stream)
        {
            await _held.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            var rebuild = store.Projections.RebuildStreamAsync(stream, cancellationToken: Ct);
            await Task.Delay(300, Ct);
            Assert.False(rebuild.IsCompleted, "the stream rebuild did not wait for the step in flight");
            _release.SetResult();
            return await rebuild;
        }
    }

    /// <summary>
    /// The note tally, keeping the default row key: <see cref="NoteTallyProjection"/> overrides it (for tests that key
    /// rows otherwise), and an async projection that does is refused, since its rows need not be one stream's.
    /// </summary>
    private sealed class Tally(ProjectionMode mode = ProjectionMode.Async, string name = "note_tally", int version = 1) : Projection<NoteTally>
    {
        private readonly NoteTallyProjection _inner = new(mode, name);

        public string? FailOnText { get => _inner.FailOnText; set => _inner.FailOnText = value; }

        public override string Name => name;

        public override int Version => version;

        public override ProjectionMode Mode => mode;

        public override IReadOnlyCollection<Type> EventTypes => _inner.EventTypes;

        /// <summary>Makes a column's value one PostgreSQL refuses (a NUL character), as a bug in a projection could.</summary>
        public bool Poisoned { get; set; }

        public override IReadOnlyList<ProjectionColumn<NoteTally>> Columns =>
            [.. _inner.Columns, ProjectionColumn<NoteTally>.Text("marker", _ => Poisoned ? "bad\0value" : null)];

        public override IReadOnlyList<EntryTable> EntryTables => _inner.EntryTables;

        public override NoteTally? Apply(NoteTally? row, RecordedEvent recorded, ProjectionOutput output) => _inner.Apply(row, recorded, output);
    }

    /// <summary>An async projection that keeps no row: one entry per opened thing.</summary>
    private sealed class OpeningsOnly : Projection<NoteTally>
    {
        public override string Name => "openings_only";

        public override IReadOnlyCollection<Type> EventTypes => [typeof(ThingOpened)];

        public override IReadOnlyList<ProjectionColumn<NoteTally>> Columns => [ProjectionColumn<NoteTally>.Int("notes", r => r.Notes)];

        public override IReadOnlyList<EntryTable> EntryTables =>
        [
            new EntryTable<NoteEntry>(
                "openings_only_entries",
                [ProjectionColumn<NoteEntry>.Text("text", e => e.Text), ProjectionColumn<NoteEntry>.Long("position", e => e.Position), ProjectionColumn<NoteEntry>.Text("actor", e => e.Actor)],
                ["tenant_id, row_key"]),
        ];

        public override NoteTally? Apply(NoteTally? row, RecordedEvent recorded, ProjectionOutput output)
        {
            ArgumentNullException.ThrowIfNull(recorded);
            ArgumentNullException.ThrowIfNull(output);
            if (recorded.Data is ThingOpened opened)
            {
                output.Emit(new NoteEntry(opened.Title, recorded.Position, "-"));
            }

            return row;
        }
    }
}
