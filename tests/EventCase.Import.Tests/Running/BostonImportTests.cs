using EventCase.Cases;
using EventCase.Cases.Assigning;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

/// <summary>The first 2,000 rows of Boston 2015 (Abandoned Bicycle, Building and Vehicles) through the shipped mapping.</summary>
public sealed class BostonImportTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private const int Rows = 2_000;

    // Counted in the file with a plain CSV reader: of the first 2,000 rows 1,955 are Closed and 45 Open; 70 sit on the
    // City Hall placeholder point, one has TARGET_DT before OPEN_DT (line 1408), none closes before it opens.
    private const int ClosedRows = 1_955;
    private const int PlaceholderRows = 70;

    private static readonly ImportMapping Mapping = SourceFiles.MappingFor(SourceFiles.Boston);

    [Fact]
    public async Task A_sample_imports_every_row_and_the_summary_accounts_for_each()
    {
        var tenant = NewAgency("boston");
        var summary = await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), Mapping, tenant, new ImportOptions { MaxRows = Rows, BatchSize = 500 });

        Assert.Equal(Rows, summary.RowsRead);
        Assert.Equal(0, summary.Rejected);
        Assert.Equal(0, summary.AlreadyImported);
        Assert.Equal(PlaceholderRows + 1, summary.Flagged);
        Assert.Equal(Rows - PlaceholderRows - 1, summary.Imported);
        Assert.Equal(summary.RowsRead, summary.Imported + summary.Flagged + summary.Rejected + summary.AlreadyImported);
        Assert.Equal(PlaceholderRows, summary.FlagsByRule[QualityRules.PlaceholderCoordinates]);
        Assert.Equal(1, summary.FlagsByRule[QualityRules.DueBeforeOpen]);

        // Opened + assigned for every case, resolved + closed for the closed ones.
        Assert.Equal(2 * Rows + 2 * ClosedRows, summary.EventsWritten);
        Assert.Equal(summary.EventsWritten, await EventCountAsync(tenant));
        Assert.Equal(Rows, await StreamCountAsync(tenant));
    }

    [Fact]
    public async Task A_closed_row_becomes_opened_assigned_resolved_closed_at_the_source_instants_with_the_importer_as_actor()
    {
        var tenant = NewAgency("boston");
        await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), Mapping, tenant, new ImportOptions { MaxRows = 5 });

        // Line 2: 101001242404, opened 01/05/2015 12:40:41 PM, closed 01/06/2015 01:46:56 PM (EST, UTC-5), no TARGET_DT.
        var events = await CaseEventsAsync(tenant, "bos311-101001242404");
        Assert.Equal(["case.opened.v1", "case.assigned.v1", "case.resolved.v1", "case.closed.v1"], events.Select(e => e.EventType));

        var opened = Assert.IsType<CaseOpened>(events[0].Data);
        var openedAt = Instant.FromUtc(2015, 1, 5, 17, 40, 41);
        var closedAt = Instant.FromUtc(2015, 1, 6, 18, 46, 56);
        Assert.Equal(openedAt, opened.At);
        Assert.Equal("BOS311-2015-1242404", opened.Number.Value);
        Assert.Equal(tenant, opened.Agency);
        Assert.Equal(new ServiceCode("abandoned-bicycle"), opened.Service);
        Assert.Equal("Abandoned Bicycle", opened.Description);
        Assert.Equal(Channel.Api, opened.Channel);
        Assert.Equal(new CaseLocation(new GeoPoint(42.3504, -71.0867), "29 Hereford St  Boston  MA  02115"), opened.Location);
        Assert.Equal(SlaTarget.CalendarDays(365), opened.Sla);
        Assert.Equal(["Abandoned Bicycle"], opened.Attributes["import.service"]);
        Assert.Equal(["BTDT_District 06"], opened.Attributes["import.queue"]);
        Assert.Equal(["Mayor's 24 Hour Hotline"], opened.Attributes["import.department"]);
        Assert.Equal(["ONTIME"], opened.Attributes["OnTime_Status"]);
        Assert.False(opened.Attributes.ContainsKey("import.source_due"));
        Assert.False(opened.Attributes.ContainsKey("import.quality"));

        Assert.Equal(new CaseAssigned(opened.CaseId, new Assignment(new TeamId("btdt_district-06")), openedAt), events[1].Data);
        Assert.Equal(new CaseResolved(opened.CaseId, "closed-in-source",
            "Case Closed Case Noted no bicycle at this address. 1/6/2015.   1:45pm", closedAt), events[2].Data);
        Assert.Equal(new CaseClosed(opened.CaseId, closedAt), events[3].Data);

        Assert.All(events, e =>
        {
            Assert.Equal("system:importer", e.Metadata.ActorId);
            Assert.Equal("system", e.Metadata.ActorRole);
            Assert.Equal("import", e.Metadata.Channel);
            Assert.Equal("101001242404", e.Metadata.Extra!["source_id"]);
            Assert.Equal("2", e.Metadata.Extra["source_row"]);
            Assert.Equal("boston_311_2015.csv", e.Metadata.Extra["source_file"]);
        });
        Assert.Equal(CaseStatus.Closed, Fold(events).Status);
    }

    [Fact]
    public async Task A_due_date_becomes_the_sla_target_and_an_open_row_stays_assigned_to_its_queue()
    {
        var tenant = NewAgency("boston");
        await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), Mapping, tenant, new ImportOptions { MaxRows = 470 });

        // Line 468: 101001245080 opened 01/09/2015 02:56:26 PM, TARGET_DT 01/16/2015 02:56:26 PM: seven days.
        var withDue = await CaseEventsAsync(tenant, "bos311-101001245080");
        var opened = Assert.IsType<CaseOpened>(withDue[0].Data);
        Assert.Equal(SlaTarget.BusinessTime(Duration.FromDays(7)), opened.Sla);
        Assert.Equal(["2015-01-16T19:56:26Z"], opened.Attributes["import.source_due"]);

        // Line 129: 101001518557 is Open: opened and assigned, nothing more.
        var open = await CaseEventsAsync(tenant, "bos311-101001518557");
        Assert.Equal(["case.opened.v1", "case.assigned.v1"], open.Select(e => e.EventType));
        Assert.Equal(new Assignment(new TeamId("info01_genericeformforotherservicerequesttypes")), Assert.IsType<CaseAssigned>(open[1].Data).To);
        Assert.Equal(CaseStatus.Assigned, Fold(open).Status);
    }

    [Fact]
    public async Task A_row_at_the_city_hall_placeholder_point_is_imported_without_the_point_and_with_a_recorded_flag()
    {
        var tenant = NewAgency("boston");
        var summary = await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), Mapping, tenant, new ImportOptions { MaxRows = 12 });
        Assert.Equal(1, summary.Flagged);

        // Line 13: 101001251817 at 42.3594,-71.0587.
        var opened = Assert.IsType<CaseOpened>((await CaseEventsAsync(tenant, "bos311-101001251817"))[0].Data);
        Assert.Null(opened.Location!.Point);
        Assert.NotNull(opened.Location.Address);
        var flag = Assert.Single(opened.Attributes["import.quality"]);
        Assert.StartsWith("placeholder-coordinates: coordinates '42.3594, -71.0587'", flag, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Importing_the_same_file_again_adds_nothing_and_counts_every_row_as_already_imported()
    {
        var tenant = NewAgency("boston");
        var options = new ImportOptions { MaxRows = 600, BatchSize = 250 };
        var first = await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), Mapping, tenant, options);
        var events = await EventCountAsync(tenant);

        var second = await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), Mapping, tenant, options);

        Assert.Equal(600, second.RowsRead);
        Assert.Equal(first.Imported + first.Flagged, second.AlreadyImported);
        Assert.Equal(0, second.Imported + second.Flagged);
        Assert.Equal(0, second.EventsWritten);
        Assert.Equal(events, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task Progress_is_reported_with_rows_per_second_and_the_last_report_covers_every_row()
    {
        var tenant = NewAgency("boston");
        var reports = new List<ImportProgress>();
        var progress = new SynchronousProgress(reports);
        await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), Mapping, tenant,
            new ImportOptions { MaxRows = 1_000, BatchSize = 200, Progress = progress, ProgressInterval = TimeSpan.Zero });

        var last = reports[^1];
        Assert.Equal(1_000, last.RowsRead);
        Assert.Equal(1_000, last.RowsCommitted);
        Assert.True(last.RowsPerSecond > 0);
        Assert.True(reports.Count > 10);
        Assert.Contains(reports, r => r.EstimatedRemaining is not null);
        Assert.All(reports, r => Assert.InRange(r.Fraction ?? 0, 0, 1));
    }

    private sealed class SynchronousProgress(List<ImportProgress> reports) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
