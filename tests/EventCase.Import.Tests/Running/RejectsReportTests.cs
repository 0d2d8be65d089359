using System.Text;
using EventCase.Cases.Opening;
using EventCase.Cases.Resolving;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

/// <summary>
/// A small file in Boston's format with one bad row per rule, built from real rows: each bad row is reported with its
/// line, source id, rule and reason, and nothing is silently dropped or fixed.
/// </summary>
public sealed class RejectsReportTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly ImportMapping Mapping = SourceFiles.MappingFor(SourceFiles.Boston);

    [Fact]
    public async Task Every_bad_row_is_in_the_report_with_its_line_source_id_rule_and_reason()
    {
        var (file, report) = await WriteFileAsync();
        var tenant = NewAgency("boston");
        try
        {
            var summary = await ImportAsync(file, Mapping, tenant, new ImportOptions { ReportPath = report });

            Assert.Equal(9, summary.RowsRead);
            Assert.Equal(1, summary.Imported);
            Assert.Equal(1, summary.Flagged);
            Assert.Equal(7, summary.Rejected);
            Assert.Equal(2, await StreamCountAsync(tenant));

            var lines = await File.ReadAllLinesAsync(report, Ct);
            Assert.Equal(
            [
                "row,source_id,disposition,rule,reason",
                "3,101001426275,rejected,close-before-open,ended 2015-07-09T18:51:12Z before it opened 2015-07-09T18:51:24Z; both kept as in the source",
                "4,900000000004,rejected,unparseable-created,OPEN_DT '2015-13-45 10:00' matches none of MM/dd/yyyy hh:mm:ss tt",
                "5,900000000005,rejected,unknown-status,status 'Pending' is not in the mapping; imported as open",
                "6,900000000006,rejected,missing-required-field,empty TYPE",
                "7,101001242404,rejected,duplicate-source-id,source id '101001242404' already appeared earlier in the file",
                "8,900000000008,rejected,unparseable-date,CLOSED_DT 'yesterday' matches none of MM/dd/yyyy hh:mm:ss tt; treated as absent",
                "8,900000000008,rejected,missing-closed-date,status 'Closed' ends the case but it has no closed or updated instant; left open",
                "9,2,rejected,malformed-row,3 fields where the header has 34",
                "10,900000000010,flagged,placeholder-coordinates,\"coordinates '42.3594, -71.0587' are the source's default point; point dropped\"",
            ], lines);
        }
        finally
        {
            File.Delete(file);
            File.Delete(report);
        }
    }

    [Fact]
    public async Task With_a_flag_policy_a_row_closed_before_it_opened_is_imported_as_the_source_has_it_and_flagged()
    {
        var (file, report) = await WriteFileAsync();
        var tenant = NewAgency("boston");
        var flagging = Mapping with
        {
            Quality = new Dictionary<string, QualityPolicy>(Mapping.Quality) { [QualityRules.CloseBeforeOpen] = QualityPolicy.Flag },
        };
        try
        {
            var summary = await ImportAsync(file, flagging, tenant);
            Assert.Equal(2, summary.Flagged);
            Assert.Equal(6, summary.Rejected);

            var events = await CaseEventsAsync(tenant, "bos311-101001426275");
            var opened = Assert.IsType<CaseOpened>(events[0].Data);
            var resolved = Assert.IsType<CaseResolved>(events[2].Data);
            Assert.Equal(Instant.FromUtc(2015, 7, 9, 18, 51, 24), opened.At);
            Assert.Equal(Instant.FromUtc(2015, 7, 9, 18, 51, 12), resolved.At);
            Assert.StartsWith("close-before-open: ended 2015-07-09T18:51:12Z", Assert.Single(opened.Attributes["import.quality"]), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
            File.Delete(report);
        }
    }

    [Fact]
    public async Task A_mapping_naming_a_column_the_file_lacks_is_refused_before_anything_is_written()
    {
        var tenant = NewAgency("boston");
        var wrong = Mapping with { Columns = Mapping.Columns with { Queue = "NO_SUCH_COLUMN" } };
        var error = await Assert.ThrowsAsync<InvalidImportMappingException>(() =>
            ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), wrong, tenant, new ImportOptions { MaxRows = 10 }));
        Assert.Contains("queue column 'NO_SUCH_COLUMN' is not in the file's header", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task A_mapping_built_in_code_with_a_null_placeholder_point_is_refused_before_anything_is_written()
    {
        var tenant = NewAgency("boston");
        var wrong = Mapping with { PlaceholderPoints = [null!] };
        var error = await Assert.ThrowsAsync<InvalidImportMappingException>(() =>
            ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), wrong, tenant, new ImportOptions { MaxRows = 10 }));
        Assert.Contains("placeholderPoints[0] is null", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task A_source_id_whose_case_number_an_earlier_row_was_given_is_rejected_naming_that_row()
    {
        // Both ids end in the same nine digits, and both cases opened in 2015: BOS311-2015-1242404 either way.
        var tenant = NewAgency("boston");
        var file = Path.Combine(Path.GetTempPath(), "boston-numbers-" + Guid.NewGuid().ToString("N") + ".csv");
        var report = file + ".report.csv";
        await File.WriteAllTextAsync(file, BostonRows.Csv(BostonRows.Line(2), BostonRows.Line(3, ("CASE_ENQUIRY_ID", "102001242404"))), Ct);
        try
        {
            var summary = await ImportAsync(file, Mapping, tenant, new ImportOptions { ReportPath = report });

            Assert.Equal((1L, 1L), (summary.Imported, summary.Rejected));
            Assert.Equal(1, summary.RejectsByRule[QualityRules.InvalidIdentifier]);
            Assert.Equal(
                "3,102001242404,rejected,invalid-identifier,\"case number BOS311-2015-1242404 is already that of source id '101001242404' earlier in the file: "
                + "the number keeps only the last nine digits of the source id, and these ids share them\"",
                (await File.ReadAllLinesAsync(report, Ct))[1]);
            Assert.Equal(1, await StreamCountAsync(tenant));
        }
        finally
        {
            File.Delete(file);
            File.Delete(report);
        }
    }

    [Fact]
    public async Task A_date_in_the_last_hours_of_9999_is_rejected_naming_its_column_and_the_rest_of_the_file_is_imported()
    {
        // 23:59 on 31 December 9999 in Boston is 04:59 on 1 January 10000 in UTC, past what an instant can hold: the
        // reader died on it with "Operation would overflow range of Instant" and the import stopped there.
        var tenant = NewAgency("boston");
        var (summary, report) = await ImportRowsAsync(tenant,
            BostonRows.Line(2, ("CASE_ENQUIRY_ID", "900000000002"), ("OPEN_DT", "12/31/9999 11:59:59 PM")),
            BostonRows.Line(3, ("CASE_ENQUIRY_ID", "900000000003"), ("CLOSED_DT", "12/31/9999 11:59:59 PM")),
            BostonRows.Line(4, ("CASE_ENQUIRY_ID", "900000000004"), ("TARGET_DT", "12/31/9999 11:59:59 PM")),
            BostonRows.Line(5));

        Assert.Equal((4L, 1L, 3L), (summary.RowsRead, summary.Imported + summary.Flagged, summary.Rejected));
        Assert.Equal(
        [
            "2,900000000002,rejected,unparseable-created,OPEN_DT '12/31/9999 11:59:59 PM' in America/New_York is past the last instant an event can hold (9999-12-31T23:59:59.999999999Z)",
            "3,900000000003,rejected,unparseable-date,CLOSED_DT '12/31/9999 11:59:59 PM' in America/New_York is past the last instant an event can hold (9999-12-31T23:59:59.999999999Z); treated as absent",
            "3,900000000003,rejected,missing-closed-date,status 'Closed' ends the case but it has no closed or updated instant; left open",
            "4,900000000004,rejected,unparseable-date,TARGET_DT '12/31/9999 11:59:59 PM' in America/New_York is past the last instant an event can hold (9999-12-31T23:59:59.999999999Z); treated as absent",
        ], report.Where(line => line.Contains(",rejected,", StringComparison.Ordinal)));
        Assert.Equal(1, await StreamCountAsync(tenant));
    }

    [Fact]
    public async Task A_row_opened_before_1900_is_rejected_naming_the_created_column_rather_than_the_source_id()
    {
        // The case number carries the opening's year, which must be 1900–9999; the reason blamed the source id.
        var tenant = NewAgency("boston");
        var (summary, report) = await ImportRowsAsync(tenant,
            BostonRows.Line(2, ("OPEN_DT", "01/01/1899 10:00:00 AM")), BostonRows.Line(3, ("OPEN_DT", "12/31/1969 11:00:00 PM")));

        Assert.Equal((2L, 1L, 1L), (summary.RowsRead, summary.Imported + summary.Flagged, summary.Rejected));
        Assert.Equal(
            "2,101001242404,rejected,invalid-identifier,OPEN_DT '01/01/1899 10:00:00 AM' is in the year 1899; case numbers (BOS311-<year>-<sequence>) take the years 1900–9999",
            report[1]);
        Assert.Equal(1, await StreamCountAsync(tenant));
    }

    [Fact]
    public async Task A_report_path_naming_the_file_being_imported_is_refused_before_the_file_is_touched()
    {
        // The report is created when the rows start: it truncated the export under the reader, and the import ended
        // early saying it was done.
        var tenant = NewAgency("boston");
        var file = Path.Combine(Path.GetTempPath(), "boston-self-" + Guid.NewGuid().ToString("N") + ".csv");
        var text = BostonRows.Csv([.. Enumerable.Range(2, 20).Select(line => BostonRows.Line(line))]);
        await File.WriteAllTextAsync(file, text, Ct);
        try
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => ImportAsync(file, Mapping, tenant, new ImportOptions { ReportPath = file }));

            Assert.Contains("names the file being imported", error.Message, StringComparison.Ordinal);
            Assert.Equal(text, await File.ReadAllTextAsync(file, Ct));
            Assert.Equal(0, await EventCountAsync(tenant));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Imports the header and <paramref name="rows"/> and returns the summary and the report's lines.</summary>
    private async Task<(ImportSummary Summary, string[] Report)> ImportRowsAsync(Cases.AgencyId tenant, params string[] rows)
    {
        var file = Path.Combine(Path.GetTempPath(), "boston-rows-" + Guid.NewGuid().ToString("N") + ".csv");
        var report = file + ".report.csv";
        await File.WriteAllTextAsync(file, BostonRows.Csv(rows), Ct);
        try
        {
            var summary = await ImportAsync(file, Mapping, tenant, new ImportOptions { ReportPath = report });
            return (summary, await File.ReadAllLinesAsync(report, Ct));
        }
        finally
        {
            File.Delete(file);
            File.Delete(report);
        }
    }

    /// <summary>Lines 2 and 7469 of the Boston file (a good row and a real close-before-open), then one row per rule.</summary>
    private static async Task<(string File, string Report)> WriteFileAsync()
    {
        var closedBeforeOpened = File.ReadLines(SourceFiles.PathOf(SourceFiles.Boston)).ElementAt(7468);
        static string Row(string id, params (string Column, string Value)[] changes) => BostonRows.Line(2, [("CASE_ENQUIRY_ID", id), .. changes]);

        var text = new StringBuilder()
            .AppendLine(BostonRows.Header)
            .AppendLine(BostonRows.Line(2))
            .AppendLine(closedBeforeOpened)
            .AppendLine(Row("900000000004", ("OPEN_DT", "2015-13-45 10:00")))
            .AppendLine(Row("900000000005", ("CASE_STATUS", "Pending")))
            .AppendLine(Row("900000000006", ("TYPE", "")))
            .AppendLine(Row("101001242404"))
            .AppendLine(Row("900000000008", ("CLOSED_DT", "yesterday")))
            .AppendLine("1,2,3")
            .AppendLine(Row("900000000010", ("LATITUDE", "42.3594"), ("LONGITUDE", "-71.0587")))
            .ToString();
        var file = Path.Combine(Path.GetTempPath(), "boston-bad-" + Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(file, text, Ct);
        return (file, file + ".report.csv");
    }
}
