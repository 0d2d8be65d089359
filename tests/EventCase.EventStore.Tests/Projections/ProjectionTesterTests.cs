using EventCase.EventStore.Projections;
using EventCase.EventStore.Projections.Testing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Projections;

public sealed class ProjectionTesterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_tester_feeds_events_catches_the_projection_up_and_reads_its_rows_and_tables()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "tester_a", Ct);
        var stream = new StreamName("boston", "case-7");

        await tester.AppendAsync(stream, new ThingOpened(stream.Id, "Pothole on Elm St", NodaTime.Instant.FromUtc(2026, 3, 2, 14, 0)), new NoteAdded(stream.Id, "crew sent"));
        await tester.CatchUpAsync(Ct);

        var row = Assert.Single(await tester.RowsAsync<NoteTally>(Ct));
        Assert.Equal(new[] { "Pothole on Elm St", "crew sent" }, new[] { row.Title, row.LastText });
        var entries = await tester.QueryAsync($"SELECT text, actor FROM {tester.Table("note_tally_entries")} WHERE row_key = $1", stream.Id);
        Assert.Equal("crew sent", Assert.Single(entries)["text"]);
        Assert.Equal("tester", entries[0]["actor"]);
        Assert.Equal(0, (await tester.StatusAsync(Ct)).LagEvents);
    }

    [Fact]
    public async Task An_async_projection_may_key_one_row_by_many_streams_live_and_rebuilt()
    {
        var tester = await ProjectionTester.CreateAsync(
            database.DataSource, TestEvents.Registry(), new NoteTallyProjection { KeyBy = e => e.Stream.Tenant + "-all" }, "tester_e", Ct);
        for (var i = 0; i < 12; i++)
        {
            await tester.AppendAsync(new StreamName("boston", $"c-{i % 3}"), new NoteAdded($"c-{i % 3}", $"n{i}"));
        }

        await tester.CatchUpAsync(Ct);
        Assert.Equal(12, Assert.Single(await tester.RowsAsync<NoteTally>(Ct)).Notes);
        await tester.RebuildAsync(Ct);
        Assert.Equal(12, Assert.Single(await tester.RowsAsync<NoteTally>(Ct)).Notes);
    }

    [Fact]
    public async Task A_rebuild_through_the_tester_gives_the_same_rows()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "tester_b", Ct);
        for (var i = 0; i < 30; i++)
        {
            await tester.AppendAsync(new StreamName("boston", $"c-{i % 4}"), new NoteAdded($"c-{i % 4}", $"n{i}"));
        }

        await tester.CatchUpAsync(Ct);
        var live = await tester.RowsAsync<NoteTally>(Ct);
        await tester.RebuildAsync(Ct);
        var rebuilt = await tester.RowsAsync<NoteTally>(Ct);

        Assert.Equal(live.Select(r => (r.ThingId, r.Notes, string.Join(",", r.Positions))), rebuilt.Select(r => (r.ThingId, r.Notes, string.Join(",", r.Positions))));
        Assert.Equal(30, (await tester.StatusAsync(Ct)).Rebuild!.Events);
    }

    [Fact]
    public async Task A_row_table_made_with_jsonb_documents_keeps_working_and_a_rebuild_makes_them_json()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "tester_jsonb", Ct);
        var table = tester.Table("note_tally");
        async Task<string> DocumentTypeAsync() => (string)(await tester.QueryAsync(
            "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'row_data'", table))[0]["type"]!;
        var created = await DocumentTypeAsync();

        // A table as the versions before decision 0012 made it, with rows in it.
        await tester.AppendAsync(new StreamName("boston", "c-1"), new ThingOpened("c-1", "Pothole", NodaTime.Instant.FromUtc(2026, 3, 2, 14, 0)), new NoteAdded("c-1", "one"));
        await tester.CatchUpAsync(Ct);
        await tester.QueryAsync($"ALTER TABLE {table} ALTER COLUMN row_data TYPE jsonb USING row_data::jsonb");
        await tester.AppendAsync(new StreamName("boston", "c-1"), new NoteAdded("c-1", "two"));
        await tester.AppendAsync(new StreamName("boston", "c-2"), new NoteAdded("c-2", "three"));
        await tester.CatchUpAsync(Ct);
        var onJsonb = await tester.RowsAsync<NoteTally>(Ct);
        await tester.RebuildAsync(Ct);
        var rebuilt = await tester.RowsAsync<NoteTally>(Ct);

        Assert.Equal("json", created);
        Assert.Equal(["c-1:2:Pothole", "c-2:1:"], onJsonb.Select(r => $"{r.ThingId}:{r.Notes}:{r.Title}").Order());
        Assert.Equal(onJsonb.Select(r => (r.ThingId, r.Notes, r.Title, string.Join(",", r.Positions))).Order(), rebuilt.Select(r => (r.ThingId, r.Notes, r.Title, string.Join(",", r.Positions))).Order());
        Assert.Equal("json", await DocumentTypeAsync());
    }

    [Fact]
    public async Task A_row_table_keeps_no_statistics_on_its_row_documents_before_and_after_a_rebuild()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "tester_stats", Ct);
        await tester.AppendAsync(new StreamName("boston", "c-1"), new NoteAdded("c-1", "n"));
        await tester.CatchUpAsync(Ct);
        var table = tester.Table("note_tally");

        async Task<(object RowData, object RowKey)> TargetsAsync()
        {
            var rows = await tester.QueryAsync(
                "SELECT attname, coalesce(attstattarget, -1)::int AS target FROM pg_attribute WHERE attrelid = $1::regclass AND attname IN ('row_data', 'row_key')",
                table);
            return (rows.Single(r => (string)r["attname"]! == "row_data")["target"]!, rows.Single(r => (string)r["attname"]! == "row_key")["target"]!);
        }

        var created = await TargetsAsync();
        await tester.RebuildAsync(Ct);
        var rebuilt = await TargetsAsync();

        Assert.Equal((0, -1), ((int)created.RowData, (int)created.RowKey));
        Assert.Equal((0, -1), ((int)rebuilt.RowData, (int)rebuilt.RowKey));
    }

    [Fact]
    public async Task Projections_rebuilt_together_in_one_pass_get_the_same_rows_as_rebuilt_one_by_one()
    {
        var testers = await ProjectionTester.CreateManyAsync(
            database.DataSource, TestEvents.Registry(), [new NoteTallyProjection(name: "tally_a"), new NoteTallyProjection(ProjectionMode.Inline, name: "tally_b")], "tester_c", Ct);
        for (var i = 0; i < 40; i++)
        {
            await testers[0].AppendAsync(new StreamName(i % 2 == 0 ? "boston" : "cambridge", $"c-{i % 5}"), new NoteAdded($"c-{i % 5}", $"n{i}"));
        }

        await testers[0].CatchUpAsync(Ct);
        var live = await testers[0].RowsAsync<NoteTally>(Ct);
        var head = (long)(await testers[0].QueryAsync($"SELECT max(position) AS head FROM {testers[0].Table("events")}"))[0]["head"]!;
        await ProjectionTester.RebuildTogetherAsync(testers, Ct);

        foreach (var tester in testers)
        {
            var rebuilt = await tester.RowsAsync<NoteTally>(Ct);
            Assert.Equal(live.Select(r => (r.ThingId, r.Notes, string.Join(",", r.Positions))), rebuilt.Select(r => (r.ThingId, r.Notes, string.Join(",", r.Positions))));
            var status = await tester.StatusAsync(Ct);
            Assert.Equal((ProjectionStates.Running, true, 40L), (status.State, status.Built, status.Rebuild!.Events));
            // Progress is measured against the head of the log as the pass began, the same for every projection of it.
            Assert.Equal(head, status.Rebuild.TargetPosition);
            Assert.Equal(40L, (long)(await tester.QueryAsync($"SELECT count(*) AS n FROM {tester.Table(tester.Projection.Name + "_entries")}"))[0]["n"]!);
        }

        // Rebuilding one alone still works the same.
        await testers[1].RebuildAsync(Ct);
        Assert.Equal(live.Count, (await testers[1].RowsAsync<NoteTally>(Ct)).Count);
    }

    [Fact]
    public async Task A_projection_that_throws_in_a_rebuild_together_fails_alone_the_others_are_still_rebuilt_and_then_its_failure_is_thrown()
    {
        var failing = new NoteTallyProjection(name: "tally_bad");
        var testers = await ProjectionTester.CreateManyAsync(
            database.DataSource, TestEvents.Registry(), [failing, new NoteTallyProjection(name: "tally_good")], "tester_d", Ct);
        for (var i = 0; i < 30; i++)
        {
            await testers[0].AppendAsync(new StreamName("boston", $"c-{i % 3}"), new NoteAdded($"c-{i % 3}", i == 17 ? "poison" : $"n{i}"));
        }

        failing.FailOnText = "poison";
        var thrown = await Assert.ThrowsAsync<AggregateException>(() => ProjectionTester.RebuildTogetherAsync(testers, Ct));

        // The pass went on without the failing projection; only then was its failure thrown, with the event it failed on.
        var failure = Assert.IsType<ProjectionFailedException>(Assert.Single(thrown.InnerExceptions));
        Assert.Equal(("tally_bad", "poison"), (failure.ProjectionName, ((NoteAdded)failure.Event!.Data).Text));
        Assert.Contains("cannot tally 'poison'", failure.InnerException!.Message, StringComparison.Ordinal);
        var bad = await testers[0].StatusAsync(Ct);
        Assert.Equal(ProjectionStates.Failed, bad.State);
        Assert.Contains("cannot tally 'poison'", bad.Failure!.Error, StringComparison.Ordinal);
        var good = await testers[1].StatusAsync(Ct);
        Assert.Equal((ProjectionStates.Running, true, 30L), (good.State, good.Built, good.Rebuild!.Events));
        Assert.Equal(30, (await testers[1].RowsAsync<NoteTally>(Ct)).Sum(r => r.Notes));
        var shadows = await testers[0].QueryAsync("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'tester_d' AND tablename LIKE '%__rebuild'");
        Assert.Equal(0L, shadows[0]["n"]);
    }

    [Fact]
    public async Task Catching_up_a_projection_that_reads_metadata_it_declared_it_does_not_read_throws_naming_the_event()
    {
        var tester = await ProjectionTester.CreateAsync(
            database.DataSource, TestEvents.Registry(), new NoteTallyProjection { DeclaresMetadata = false }, "tester_metadata", Ct);
        var first = await tester.AppendAsync(new StreamName("boston", "c-1"), new NoteAdded("c-1", "a note"));

        var failure = await Assert.ThrowsAsync<ProjectionFailedException>(() => tester.CatchUpAsync(Ct));

        Assert.Equal(("note_tally", first.Positions[0], "test.note-added.v1"), (failure.ProjectionName, failure.Event!.Position, failure.Event.EventType));
        Assert.Contains("ReadsMetadata", failure.InnerException!.Message, StringComparison.Ordinal);
        Assert.Contains($"at position {first.Positions[0]}", failure.Message, StringComparison.Ordinal);
        // Recorded as the daemon records it, and nothing of the failing batch was written.
        var status = await tester.StatusAsync(Ct);
        Assert.Equal((ProjectionStates.Failed, first.Positions[0]), (status.State, status.Failure!.Position));
        Assert.Empty(await tester.RowsAsync<NoteTally>(Ct));
    }

    [Fact]
    public async Task Catching_up_a_failed_projection_throws_again_until_it_is_resumed()
    {
        var projection = new NoteTallyProjection { FailOnText = "poison" };
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), projection, "tester_resume", Ct);
        var stream = new StreamName("boston", "c-1");
        await tester.AppendAsync(stream, new NoteAdded("c-1", "fine"), new NoteAdded("c-1", "poison"));
        var poison = (await tester.QueryAsync($"SELECT max(position) AS p FROM {tester.Table("events")}"))[0]["p"];
        await Assert.ThrowsAsync<ProjectionFailedException>(() => tester.CatchUpAsync(Ct));

        var again = await Assert.ThrowsAsync<ProjectionFailedException>(() => tester.CatchUpAsync(Ct));

        Assert.Contains($"before this call on event test.note-added.v1 at position {poison}", again.Message, StringComparison.Ordinal);
        Assert.Contains("cannot tally 'poison'", again.InnerException!.Message, StringComparison.Ordinal);

        projection.FailOnText = null;
        await tester.Store.Projections.ResumeAsync("note_tally", Ct);
        await tester.CatchUpAsync(Ct);
        Assert.Equal(2, Assert.Single(await tester.RowsAsync<NoteTally>(Ct)).Notes);
    }

    [Fact]
    public async Task A_rebuild_through_the_tester_that_fails_throws_the_failure_and_leaves_the_live_rows_as_they_were()
    {
        var projection = new NoteTallyProjection();
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), projection, "tester_rebuild_fails", Ct);
        for (var i = 0; i < 6; i++)
        {
            await tester.AppendAsync(new StreamName("boston", $"c-{i % 2}"), new NoteAdded($"c-{i % 2}", i == 4 ? "poison" : $"n{i}"));
        }

        await tester.CatchUpAsync(Ct);
        projection.FailOnText = "poison";

        var failure = await Assert.ThrowsAsync<ProjectionFailedException>(() => tester.RebuildAsync(Ct));

        Assert.Equal("poison", ((NoteAdded)failure.Event!.Data).Text);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
        Assert.Equal(ProjectionStates.Failed, (await tester.StatusAsync(Ct)).State);
        Assert.Equal(6, (await tester.RowsAsync<NoteTally>(Ct)).Sum(r => r.Notes));
    }

    [Fact]
    public async Task Catching_up_a_projection_registered_over_an_existing_log_throws_when_its_first_build_fails()
    {
        var writer = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "tester_late", Ct);
        await writer.AppendAsync(new StreamName("boston", "c-1"), new NoteAdded("c-1", "fine"), new NoteAdded("c-1", "poison"));
        // Registered later, on a log that has events: its first catch-up builds it from the whole log.
        var late = await ProjectionTester.CreateAsync(
            database.DataSource, TestEvents.Registry(), new NoteTallyProjection(name: "late_tally") { FailOnText = "poison" }, "tester_late", Ct);

        var failure = await Assert.ThrowsAsync<ProjectionFailedException>(() => late.CatchUpAsync(Ct));

        Assert.Equal(("late_tally", "poison"), (failure.ProjectionName, ((NoteAdded)failure.Event!.Data).Text));
        Assert.Equal(ProjectionStates.Failed, (await late.StatusAsync(Ct)).State);
    }
}
