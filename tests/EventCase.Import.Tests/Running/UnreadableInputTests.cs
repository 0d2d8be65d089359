using System.Text;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;

namespace EventCase.Import.Tests.Running;

/// <summary>Files that are not what a CSV export should be: every line is still accounted for, nothing is stored that
/// the source did not say, and a file that cannot be imported at all is refused before anything is written.</summary>
public sealed class UnreadableInputTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly ImportMapping Mapping = SourceFiles.MappingFor(SourceFiles.Boston);

    [Fact]
    public async Task A_stray_opening_quote_rejects_its_own_row_naming_its_line_and_every_other_row_is_imported()
    {
        // Lines 2–101 of Boston without the quoted point column, so that nothing after line 11 closes its quote.
        var rows = Enumerable.Range(2, 100).Select(line => BostonRows.Line(line, ("Geocoded_Location", ""), ("CASE_TITLE", line == 11 ? "BROKEN" : "Abandoned Bicycle"))).ToArray();
        Assert.DoesNotContain(rows, row => row.Contains('"', StringComparison.Ordinal));
        rows[9] = rows[9].Replace("BROKEN", "\"Broken title", StringComparison.Ordinal);
        var sourceId = BostonRows.Split(BostonRows.Line(11))[1];
        var tenant = NewAgency("boston");

        var (summary, report) = await ImportWithReportAsync(Encoding.UTF8.GetBytes(BostonRows.Csv(rows)), tenant);

        Assert.Equal((100L, 99L, 1L), (summary.RowsRead, summary.Imported + summary.Flagged, summary.Rejected));
        Assert.Equal(1, summary.RejectsByRule[QualityRules.MalformedRow]);
        var line = Assert.Single(report.Skip(1), l => l.Contains("rejected", StringComparison.Ordinal));
        Assert.StartsWith(
            $"11,{sourceId},rejected,malformed-row,\"broken quoting: the quoted field 9 (CASE_TITLE) that opens on line 11 is never closed: the file ends inside it; only line 11 is rejected, lines 12–101 are read again as rows",
            line, StringComparison.Ordinal);
        Assert.Equal(99, await StreamCountAsync(tenant));
    }

    [Fact]
    public async Task A_row_that_is_not_utf8_is_rejected_naming_its_line_and_no_replacement_character_is_stored()
    {
        // Line 5 says "Café" in Latin-1 (é is the byte 0xE9), the others are plain ASCII.
        var text = BostonRows.Csv([.. Enumerable.Range(2, 19).Select(line => BostonRows.Line(line, ("CASE_TITLE", line == 5 ? "Caf\u00e9" : "Cafe")))]);
        var bytes = Encoding.Latin1.GetBytes(text);
        var tenant = NewAgency("boston");

        var (summary, report) = await ImportWithReportAsync(bytes, tenant);

        Assert.Equal((19L, 18L, 1L), (summary.RowsRead, summary.Imported + summary.Flagged, summary.Rejected));
        Assert.Contains(report, l => l.StartsWith($"5,{BostonRows.Split(BostonRows.Line(5))[1]},rejected,malformed-row,line 5 is not UTF-8 (byte 0xE9 at byte ", StringComparison.Ordinal));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM eventcase.events WHERE tenant_id = $1 AND data::text LIKE '%' || chr(65533) || '%'", tenant));
    }

    [Theory]
    [InlineData(0x0000, "U+0000 (NUL)")]
    [InlineData(0x001B, "the control character U+001B")]
    [InlineData(0xFFFF, "the noncharacter U+FFFF")]
    [InlineData(0x1FFFE, "the noncharacter U+1FFFE")]
    public async Task A_row_holding_a_character_events_cannot_carry_is_rejected_naming_it_and_the_other_rows_are_imported_on_every_run(int character, string named)
    {
        // PostgreSQL refuses NUL in jsonb (22P05), which used to fail every batch holding the row, on every run.
        var title = "Abandoned" + char.ConvertFromUtf32(character) + "Bicycle";
        var text = BostonRows.Csv([.. Enumerable.Range(2, 20).Select(line => BostonRows.Line(line, ("CASE_TITLE", line == 7 ? title : "Abandoned Bicycle")))]);
        var sourceId = BostonRows.Split(BostonRows.Line(7))[1];
        var tenant = NewAgency("boston");

        var (first, report) = await ImportWithReportAsync(Encoding.UTF8.GetBytes(text), tenant);
        var (again, _) = await ImportWithReportAsync(Encoding.UTF8.GetBytes(text), tenant);

        Assert.Equal((20L, 19L, 1L), (first.RowsRead, first.Imported + first.Flagged, first.Rejected));
        Assert.StartsWith($"7,{sourceId},rejected,malformed-row,\"CASE_TITLE holds {named} at character 10, which the event store or the exports downstream (JSON, XML) cannot carry", report[1], StringComparison.Ordinal);
        Assert.Equal((19L, 1L), (again.AlreadyImported, again.Rejected));
        Assert.Equal(19, await StreamCountAsync(tenant));
    }

    [Fact]
    public async Task An_empty_file_is_refused_before_anything_is_written()
    {
        var tenant = NewAgency("boston");
        var error = await Assert.ThrowsAsync<InvalidImportFileException>(() => ImportWithReportAsync([], tenant));
        Assert.Contains("is empty; a CSV export starts with a header line", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task A_file_without_its_header_is_refused_like_a_missing_column_before_anything_is_written()
    {
        var tenant = NewAgency("boston");
        var headless = Encoding.UTF8.GetBytes(string.Join('\n', BostonRows.Line(2), BostonRows.Line(3)) + "\n");

        var error = await Assert.ThrowsAsync<InvalidImportMappingException>(() => ImportWithReportAsync(headless, tenant));

        Assert.Contains("sourceId column 'CASE_ENQUIRY_ID' is not in the file's header (470600, 101001242404,", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task A_utf16_file_is_refused_before_anything_is_written()
    {
        var tenant = NewAgency("boston");
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(BostonRows.Csv(BostonRows.Line(2)))).ToArray();

        var error = await Assert.ThrowsAsync<InvalidImportFileException>(() => ImportWithReportAsync(utf16, tenant));

        Assert.Contains("UTF-16 or UTF-32 byte order mark", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task A_row_whose_event_would_be_over_the_stores_size_limit_is_rejected_naming_its_longest_column_and_the_others_are_imported_on_every_run()
    {
        // A title of 300,000 characters makes an opened event the store refuses (256 KB): the append of its whole batch
        // failed, and with it the import, on every run.
        var text = BostonRows.Csv([.. Enumerable.Range(2, 20).Select(line => BostonRows.Line(line, ("CASE_TITLE", line == 9 ? new string('x', 300_000) : "Abandoned Bicycle")))]);
        var sourceId = BostonRows.Split(BostonRows.Line(9))[1];
        var tenant = NewAgency("boston");

        var (first, report) = await ImportWithReportAsync(Encoding.UTF8.GetBytes(text), tenant);
        var (again, _) = await ImportWithReportAsync(Encoding.UTF8.GetBytes(text), tenant);

        Assert.Equal((20L, 19L, 1L), (first.RowsRead, first.Imported + first.Flagged, first.Rejected));
        Assert.Matches(
            $@"^9,{sourceId},rejected,malformed-row,""CASE_TITLE is 300,000 characters long: the case\.opened\.v1 event would be 30\d,\d{{3}} bytes, over the event store's limit of 262,144; the row is not imported rather than imported cut short""$",
            Assert.Single(report, l => l.StartsWith("9,", StringComparison.Ordinal)));
        Assert.Equal((19L, 1L), (again.AlreadyImported, again.Rejected));
        Assert.Equal(19, await StreamCountAsync(tenant));
    }

    [Fact]
    public async Task A_header_naming_a_mapped_column_twice_is_refused_before_anything_is_written()
    {
        // land_usage renamed CASE_STATUS: the first CASE_STATUS was read and the second ignored, without a word.
        var tenant = NewAgency("boston");
        var header = BostonRows.Header.Replace(",land_usage,", ",CASE_STATUS,", StringComparison.Ordinal);
        var text = string.Join('\n', header, BostonRows.Line(2), BostonRows.Line(3)) + "\n";

        var error = await Assert.ThrowsAsync<InvalidImportFileException>(() => ImportWithReportAsync(Encoding.UTF8.GetBytes(text), tenant));

        Assert.Contains("the header names 'CASE_STATUS' 2 times (columns 7, 26), and the mapping reads it as its status column", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventCountAsync(tenant));
    }

    /// <summary>Imports <paramref name="bytes"/> as a file and returns the summary and the report's lines.</summary>
    private async Task<(ImportSummary Summary, string[] Report)> ImportWithReportAsync(byte[] bytes, Cases.AgencyId tenant)
    {
        var file = Path.Combine(Path.GetTempPath(), "import-" + Guid.NewGuid().ToString("N") + ".csv");
        var report = file + ".rejects.csv";
        await File.WriteAllBytesAsync(file, bytes, Ct);
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
}
