using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

/// <summary>Importing a newer export of the same source: cases that moved on gain their new events, cases worked on
/// here since are left as they are, and nothing is written twice.</summary>
public sealed class DeltaImportTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Monday = """
        id,created,updated,closed,type,state,via,same_as,where
        B1,2026-04-01 09:00:00,,,Street lights,new,web,,
        B2,2026-04-01 10:00:00,,,Noise,new,web,,
        B3,2026-04-01 11:00:00,2026-04-02 12:00:00,2026-04-02 12:00:00,Noise,done,web,,
        """;

    // A day later: B1 and B2 were closed in the source, B3 is as it was, B4 is new.
    private const string Tuesday = """
        id,created,updated,closed,type,state,via,same_as,where
        B1,2026-04-01 09:00:00,2026-04-03 08:00:00,2026-04-03 08:00:00,Street lights,done,web,,
        B2,2026-04-01 10:00:00,2026-04-03 09:00:00,2026-04-03 09:00:00,Noise,done,web,,
        B3,2026-04-01 11:00:00,2026-04-02 12:00:00,2026-04-02 12:00:00,Noise,done,web,,
        B4,2026-04-02 15:00:00,,,Noise,new,web,,
        """;

    [Fact]
    public async Task A_newer_export_appends_what_cases_gained_and_leaves_cases_worked_on_here_as_they_are()
    {
        var tenant = NewAgency("springfield");
        var mapping = ImportMapping.Parse(GenericSourceImportTests.MappingJson);
        var monday = await ImportCsvAsync(Monday, mapping, tenant);
        var b1Before = await CaseEventsAsync(tenant, "spr-B1");

        // An agent adds a note to B2 after the first import.
        var b2 = new CaseId("spr-B2");
        var b2Version = (await CaseEventsAsync(tenant, b2.Value)).Count;
        await Store.AppendToStreamAsync(CaseStreams.For(tenant, b2), CaseStreams.StreamType, ExpectedVersion.Exactly(b2Version),
            [new NewEvent(CaseEventIds.New(), new NoteAdded(b2, NoteVisibility.Internal, "Called the caller back.", Instant.FromUtc(2026, 4, 2, 8, 0)), EventMetadata.System())], Ct);
        var eventsBefore = await EventCountAsync(tenant);

        var tuesday = await ImportCsvAsync(Tuesday, mapping, tenant);
        var again = await ImportCsvAsync(Tuesday, mapping, tenant);

        Assert.Equal((3L, 3L), (monday.RowsRead, monday.Imported + monday.Flagged));
        Assert.Equal((4L, 1L, 1L, 1L), (tuesday.RowsRead, tuesday.Updated, tuesday.Changed, tuesday.AlreadyImported));
        Assert.Equal(1L, tuesday.Imported + tuesday.Flagged);
        Assert.Equal(["B2"], tuesday.ChangedSourceIds);

        // B1 kept its events and gained the closing ones after them; B2 is as the agent left it.
        var b1 = await CaseEventsAsync(tenant, "spr-B1");
        Assert.Equal(b1Before.Select(e => e.EventId), b1.Take(b1Before.Count).Select(e => e.EventId));
        Assert.Equal(CaseStatus.Closed, Fold(b1).Status);
        Assert.True(Fold(await CaseEventsAsync(tenant, "spr-B4")).Status is CaseStatus.Open or CaseStatus.Assigned);
        var b2After = await CaseEventsAsync(tenant, b2.Value);
        Assert.Equal(b2Version + 1, b2After.Count);
        Assert.IsType<NoteAdded>(b2After[^1].Data);
        Assert.Equal(eventsBefore + tuesday.EventsWritten, await EventCountAsync(tenant));
        Assert.Equal(b1.Count - b1Before.Count + (await CaseEventsAsync(tenant, "spr-B4")).Count, tuesday.EventsWritten);

        // The same export again: nothing more.
        Assert.Equal((3L, 1L, 0L, 0L), (again.AlreadyImported, again.Changed, again.Updated, again.EventsWritten));
    }

    [Fact]
    public async Task A_case_an_agent_works_on_while_its_newer_export_is_being_imported_is_left_as_changed_and_the_rest_of_the_batch_is_written()
    {
        // The agent's note commits between the importer reading B1 and appending to it: the append found B1 a version
        // further on, the store refused the whole batch, and the import stopped there.
        var tenant = NewAgency("springfield");
        var mapping = ImportMapping.Parse(GenericSourceImportTests.MappingJson);
        await ImportCsvAsync(Monday, mapping, tenant);
        var b1 = new CaseId("spr-B1");
        var b1Version = (await CaseEventsAsync(tenant, b1.Value)).Count;

        // The note is appended in a transaction left open: it holds B1's stream lock, so the importer's append waits on
        // it after the importer has read B1 as Monday left it.
        await using var connection = await DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await Store.AppendToStreamAsync(connection, transaction, CaseStreams.For(tenant, b1), CaseStreams.StreamType, ExpectedVersion.Exactly(b1Version),
            [new NewEvent(CaseEventIds.New(), new NoteAdded(b1, NoteVisibility.Internal, "Crew on site.", Instant.FromUtc(2026, 4, 3, 7, 0)), EventMetadata.System())], Ct);
        var tuesday = ImportCsvAsync(Tuesday, mapping, tenant);
        await WaitForALockWaitAsync();
        await transaction.CommitAsync(Ct);

        var summary = await tuesday;

        Assert.Equal((4L, 1L, 1L, 1L), (summary.RowsRead, summary.Changed, summary.Updated, summary.AlreadyImported));
        Assert.Equal(1L, summary.Imported + summary.Flagged);
        Assert.Equal(["B1"], summary.ChangedSourceIds);
        var b1After = await CaseEventsAsync(tenant, b1.Value);
        Assert.Equal(b1Version + 1, b1After.Count);
        Assert.IsType<NoteAdded>(b1After[^1].Data);
        Assert.Equal(CaseStatus.Closed, Fold(await CaseEventsAsync(tenant, "spr-B2")).Status);
        Assert.NotEmpty(await CaseEventsAsync(tenant, "spr-B4"));
    }

    /// <summary>Waits until a session of the database waits for an advisory lock (the importer's append, on the stream a
    /// test's open transaction holds).</summary>
    private async Task WaitForALockWaitAsync()
    {
        while (true)
        {
            await using var command = DataSource.CreateCommand("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()");
            if ((long)(await command.ExecuteScalarAsync(Ct))! > 0)
            {
                return;
            }

            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task A_case_cancelled_in_an_earlier_export_is_changed_not_closed_when_a_newer_export_says_closed()
    {
        // Closing needs a resolved case, and a cancelled one is not: the newer history's third event (resolved) is not
        // the stored third event (cancelled), though both have the same derived id.
        var tenant = NewAgency("boston");
        var mapping = BostonWithCancelled();
        var first = await ImportCsvAsync(BostonRows.Csv(BostonRows.Line(2, ("CASE_STATUS", "Cancelled"))), mapping, tenant);
        var before = await CaseEventsAsync(tenant, "bos311-101001242404");

        var second = await ImportCsvAsync(BostonRows.Csv(BostonRows.Line(2)), mapping, tenant);

        Assert.Equal(1, first.Imported);
        Assert.Equal((1L, 0L, 0L, 0L), (second.Changed, second.Updated, second.AlreadyImported, second.EventsWritten));
        Assert.Equal(["101001242404"], second.ChangedSourceIds);
        var after = await CaseEventsAsync(tenant, "bos311-101001242404");
        Assert.Equal(before.Select(e => e.EventId), after.Select(e => e.EventId));
        Assert.Equal(["case.opened.v1", "case.assigned.v1", "case.cancelled.v1"], after.Select(e => e.EventType));
        Assert.Equal(CaseStatus.Cancelled, Fold(after).Status);
    }

    [Fact]
    public async Task A_row_whose_past_changed_in_the_source_is_changed_not_already_imported_and_nothing_is_appended()
    {
        var tenant = NewAgency("boston");
        var mapping = SourceFiles.MappingFor(SourceFiles.Boston);
        await ImportCsvAsync(BostonRows.Csv(BostonRows.Line(2), BostonRows.Line(3)), mapping, tenant);
        var eventsBefore = await EventCountAsync(tenant);

        // Same number of events, but the case opened at another instant and its title changed.
        var again = await ImportCsvAsync(BostonRows.Csv(
            BostonRows.Line(2, ("OPEN_DT", "01/05/2015 11:40:41 AM")),
            BostonRows.Line(3, ("CASE_TITLE", "Abandoned Bicycle (chained)"))), mapping, tenant);

        Assert.Equal((2L, 0L, 0L), (again.Changed, again.AlreadyImported, again.EventsWritten));
        Assert.Equal(["101001242404", "101001242405"], again.ChangedSourceIds.Order(StringComparer.Ordinal));
        Assert.Equal(eventsBefore, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task The_same_case_on_another_line_of_another_file_is_already_imported_since_metadata_says_where_not_what()
    {
        var tenant = NewAgency("boston");
        var mapping = SourceFiles.MappingFor(SourceFiles.Boston);
        await ImportCsvAsync(BostonRows.Csv(BostonRows.Line(2), BostonRows.Line(3)), mapping, tenant);

        var reordered = await ImportCsvAsync(BostonRows.Csv(BostonRows.Line(4), BostonRows.Line(3), BostonRows.Line(2)), mapping, tenant);

        Assert.Equal((2L, 1L, 0L), (reordered.AlreadyImported, reordered.Imported + reordered.Flagged, reordered.Changed));
    }

    [Fact]
    public async Task An_open_case_whose_on_time_status_turned_overdue_in_a_newer_Boston_export_is_already_imported_not_changed()
    {
        var tenant = NewAgency("boston");
        var mapping = SourceFiles.MappingFor(SourceFiles.Boston);
        await ImportCsvAsync(BostonRows.Csv(OpenRow(2, "ONTIME")), mapping, tenant);
        var eventsBefore = await EventCountAsync(tenant);

        // Nothing happened to the case: only the source's derived status moved on as its target passed.
        var later = await ImportCsvAsync(BostonRows.Csv(OpenRow(2, "OVERDUE")), mapping, tenant);

        Assert.Equal((1L, 0L, 0L, 0L), (later.AlreadyImported, later.Changed, later.Updated, later.EventsWritten));
        Assert.Equal(eventsBefore, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task An_open_case_that_closed_overdue_with_a_closing_photo_in_a_newer_Boston_export_is_updated_and_keeps_its_opening()
    {
        var tenant = NewAgency("boston");
        var mapping = SourceFiles.MappingFor(SourceFiles.Boston);
        await ImportCsvAsync(BostonRows.Csv(OpenRow(2, "ONTIME")), mapping, tenant);
        var before = await CaseEventsAsync(tenant, "bos311-101001242404");

        var later = await ImportCsvAsync(BostonRows.Csv(ClosedRow(2, "OVERDUE", "https://311.boston.gov/media/closed.jpg")), mapping, tenant);

        Assert.Equal((1L, 0L, 0L), (later.Updated, later.Changed, later.AlreadyImported));
        var after = await CaseEventsAsync(tenant, "bos311-101001242404");
        Assert.Equal(["case.opened.v1", "case.assigned.v1", "case.resolved.v1", "case.closed.v1"], after.Select(e => e.EventType));
        Assert.Equal(CaseStatus.Closed, Fold(after).Status);

        // The opening is not rewritten: it says what the export that imported it said.
        Assert.Equal(before.Select(e => e.EventId), after.Take(before.Count).Select(e => e.EventId));
        var opened = Assert.IsType<CaseOpened>(after[0].Data);
        Assert.Equal(["ONTIME"], opened.Attributes["OnTime_Status"]);
        Assert.False(opened.Attributes.ContainsKey("ClosedPhoto"));
    }

    [Fact]
    public async Task A_compared_column_that_differs_in_a_newer_Boston_export_still_makes_the_case_changed_whatever_its_on_time_status()
    {
        var tenant = NewAgency("boston");
        var mapping = SourceFiles.MappingFor(SourceFiles.Boston);
        await ImportCsvAsync(BostonRows.Csv(OpenRow(2, "ONTIME")), mapping, tenant);

        var later = await ImportCsvAsync(BostonRows.Csv(BostonRows.Line(2,
            ("CASE_STATUS", "Open"), ("CLOSED_DT", ""), ("TARGET_DT", "01/09/2015 12:40:41 PM"), ("OnTime_Status", "OVERDUE"), ("REASON", "Street Cleaning"))), mapping, tenant);

        Assert.Equal((1L, 0L, 0L, 0L), (later.Changed, later.Updated, later.AlreadyImported, later.EventsWritten));
        Assert.Equal(["101001242404"], later.ChangedSourceIds);
    }

    [Fact]
    public async Task Cases_imported_under_the_earlier_Boston_mapping_that_compared_on_time_status_are_already_imported_or_updated_under_this_one()
    {
        // Until volatileAttributes, the Boston mapping listed OnTime_Status and ClosedPhoto among the compared
        // attributes; what it stored must meet the newer exports as any case does, not all come out changed.
        var tenant = NewAgency("boston");
        var current = SourceFiles.MappingFor(SourceFiles.Boston);
        var earlier = current with { Attributes = [.. current.Attributes, .. current.VolatileAttributes], VolatileAttributes = [] };
        await ImportCsvAsync(BostonRows.Csv(OpenRow(2, "ONTIME"), OpenRow(3, "ONTIME"), BostonRows.Line(4)), earlier, tenant);

        var later = await ImportCsvAsync(BostonRows.Csv(
            OpenRow(2, "OVERDUE"), ClosedRow(3, "OVERDUE", "https://311.boston.gov/media/closed.jpg"), BostonRows.Line(4)), current, tenant);

        Assert.Equal((2L, 1L, 0L), (later.AlreadyImported, later.Updated, later.Changed));
        Assert.Equal(CaseStatus.Closed, Fold(await CaseEventsAsync(tenant, "bos311-101001242405")).Status);
    }

    /// <summary>Line <paramref name="line"/> of the Boston file as an open case with a target, its on-time status
    /// <paramref name="onTime"/>.</summary>
    private static string OpenRow(int line, string onTime) => BostonRows.Line(line,
        ("CASE_STATUS", "Open"), ("CLOSED_DT", ""), ("TARGET_DT", "01/09/2015 12:40:41 PM"), ("OnTime_Status", onTime), ("ClosedPhoto", ""));

    /// <summary>The same case closed after its target, with the source's closing photo.</summary>
    private static string ClosedRow(int line, string onTime, string closedPhoto) => BostonRows.Line(line,
        ("CASE_STATUS", "Closed"), ("CLOSED_DT", "01/12/2015 09:00:00 AM"), ("TARGET_DT", "01/09/2015 12:40:41 PM"), ("OnTime_Status", onTime), ("ClosedPhoto", closedPhoto));

    private static ImportMapping BostonWithCancelled()
    {
        var boston = SourceFiles.MappingFor(SourceFiles.Boston);
        return boston with { Statuses = new Dictionary<string, SourceLifecycle>(boston.Statuses) { ["Cancelled"] = SourceLifecycle.Cancelled } };
    }
}
