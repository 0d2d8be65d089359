using EventCase.Cases;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.Transferring;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

/// <summary>The first 2,000 rows of each MyLA311 sample through the shipped mappings: Cancelled and Referred Out are
/// real terminal states, and the two files write their points differently ("(lat, lon)" in 2017, WKT in 2018).</summary>
public sealed class LosAngelesImportTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private const int Rows = 2_000;

    // Counted in the files with a plain CSV reader (first 2,000 rows).
    // 2017: Closed 1,918, Cancelled 77, Referred Out 3, Open 2; ClosedDate before CreatedDate on lines 1015 and 1685.
    // 2018: Closed 1,927, Cancelled 71, Referred Out 2; ClosedDate before CreatedDate on lines 1138, 1208 and 1253.
    [Theory]
    [InlineData(SourceFiles.La2017, 1_918, 77, 3, 2, new long[] { 1015, 1685 })]
    [InlineData(SourceFiles.La2018, 1_927, 71, 2, 0, new long[] { 1138, 1208, 1253 })]
    public async Task A_sample_imports_with_the_rows_closed_before_they_opened_rejected(
        string file, int closed, int cancelled, int referred, int open, long[] rejectedLines)
    {
        var tenant = NewAgency("la");
        var report = Path.Combine(Path.GetTempPath(), $"import-{tenant}.csv");
        try
        {
            var summary = await ImportAsync(SourceFiles.PathOf(file), SourceFiles.MappingFor(file), tenant, new ImportOptions { MaxRows = Rows, ReportPath = report });

            Assert.Equal(Rows, summary.RowsRead);
            Assert.Equal(rejectedLines.Length, summary.Rejected);
            Assert.Equal(rejectedLines.Length, summary.RejectsByRule[QualityRules.CloseBeforeOpen]);
            Assert.Equal(0, summary.Flagged);
            Assert.Equal(Rows - rejectedLines.Length, summary.Imported);

            // All rejected rows here are Closed ones: 4 events per closed case, 3 per cancelled or referred, 2 per open.
            Assert.Equal(4L * (closed - rejectedLines.Length) + 3L * (cancelled + referred) + 2L * open, summary.EventsWritten);
            Assert.Equal(summary.EventsWritten, await EventCountAsync(tenant));

            var lines = await File.ReadAllLinesAsync(report, Ct);
            Assert.Equal("row,source_id,disposition,rule,reason", lines[0]);
            Assert.Equal(rejectedLines, lines.Skip(1).Select(l => long.Parse(l.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)));
            Assert.All(lines.Skip(1), l => Assert.Contains(",rejected,close-before-open,", l, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public async Task A_cancelled_request_is_opened_assigned_and_cancelled_at_its_closed_instant()
    {
        var tenant = NewAgency("la");
        await ImportAsync(SourceFiles.PathOf(SourceFiles.La2018), SourceFiles.MappingFor(SourceFiles.La2018), tenant, new ImportOptions { MaxRows = 20 });

        // Line 17: 1-870707235, Graffiti Removal, created 01/01/2018 01:34:53 AM, closed 01/02/2018 04:58:40 PM (PST, UTC-8),
        // Location POINT (-118.627238412 34.1999076513).
        var events = await CaseEventsAsync(tenant, "la311-1-870707235");
        Assert.Equal(["case.opened.v1", "case.assigned.v1", "case.cancelled.v1"], events.Select(e => e.EventType));
        var opened = Assert.IsType<CaseOpened>(events[0].Data);
        Assert.Equal(Instant.FromUtc(2018, 1, 1, 9, 34, 53), opened.At);
        Assert.Equal("LA311-2018-870707235", opened.Number.Value);
        Assert.Equal(new ServiceCode("graffiti-removal"), opened.Service);
        Assert.Equal(new GeoPoint(34.1999076513, -118.627238412), opened.Location!.Point);
        Assert.Equal(["OCB"], opened.Attributes["import.department"]);
        Assert.Equal(new CaseCancelled(opened.CaseId, "Cancelled in la-myla311", Instant.FromUtc(2018, 1, 3, 0, 58, 40)), events[2].Data);
        Assert.Equal(CaseStatus.Cancelled, Fold(events).Status);
    }

    [Fact]
    public async Task A_referred_out_request_is_transferred_and_a_2017_point_is_read_as_lat_lon()
    {
        var tenant = NewAgency("la");
        await ImportAsync(SourceFiles.PathOf(SourceFiles.La2017), SourceFiles.MappingFor(SourceFiles.La2017), tenant, new ImportOptions { MaxRows = 700 });

        // Line 680: 1-870497204, Referred Out, created 12/31/2017 10:44:24 AM, closed 12/31/2017 12:27:41 PM,
        // Location (34.0749550902, -118.224155741), AssignTo NEGB_ELA.
        var events = await CaseEventsAsync(tenant, "la311-1-870497204");
        Assert.Equal(["case.opened.v1", "case.assigned.v1", "case.transferred.v1"], events.Select(e => e.EventType));
        var opened = Assert.IsType<CaseOpened>(events[0].Data);
        Assert.Equal(new GeoPoint(34.0749550902, -118.224155741), opened.Location!.Point);
        Assert.Equal(new CaseTransferred(opened.CaseId, tenant, new AgencyId("referred-out"), "Referred Out in la-myla311", Instant.FromUtc(2017, 12, 31, 20, 27, 41)),
            events[2].Data);
        Assert.Equal(CaseStatus.TransferredOut, Fold(events).Status);
    }
}
