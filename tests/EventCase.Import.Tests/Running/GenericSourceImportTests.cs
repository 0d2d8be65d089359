using EventCase.Cases;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

/// <summary>A new city is a new mapping file: a small export with ISO-like timestamps, a duplicate status and an
/// update-only end instant, imported through a mapping written here.</summary>
public sealed class GenericSourceImportTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    /// <summary>The mapping of the small Springfield export (other import tests reuse it).</summary>
    internal const string MappingJson = """
        {
          "source": "springfield-crm",
          "timeZone": "Europe/Berlin",
          "timestampFormats": [ "yyyy-MM-dd HH:mm:ss" ],
          "columns": {
            "sourceId": "id", "created": "created", "updated": "updated", "closed": "closed",
            "service": "type", "status": "state", "channel": "via", "duplicateOf": "same_as", "point": "where"
          },
          "statuses": { "new": "open", "done": "closed", "dup": "duplicate", "withdrawn": "cancelled" },
          "channels": { "web": "web" },
          "cases": { "idPrefix": "spr-", "numberPrefix": "SPR", "numberSequence": "row-number" },
        }
        """;

    private const string Csv = """
        id,created,updated,closed,type,state,via,same_as,where
        A1,2026-03-29 02:30:00,,,Street lights,new,web,,POINT (13.4 52.5)
        A2,2026-03-29 10:00:00,2026-03-30 09:00:00,,Street lights,dup,web,A1,
        A3,2026-10-25 02:30:00,2026-10-26 08:00:00,,Noise,withdrawn,fax,,
        """;

    [Fact]
    public async Task A_mapping_for_another_city_drives_duplicates_cancellations_dst_and_unknown_channels()
    {
        var tenant = NewAgency("springfield");
        var summary = await ImportCsvAsync(Csv, ImportMapping.Parse(MappingJson), tenant);
        Assert.Equal((3L, 1L, 2L, 0L), (summary.RowsRead, summary.Imported, summary.Flagged, summary.Rejected));
        Assert.Equal(1, summary.FlagsByRule[QualityRules.SkippedLocalTime]);
        Assert.Equal(1, summary.FlagsByRule[QualityRules.AmbiguousLocalTime]);
        Assert.Equal(1, summary.FlagsByRule[QualityRules.UnknownChannel]);

        // 29 March 2026 02:30 does not exist in Berlin (clocks jump 02:00 CET → 03:00 CEST): 03:30 CEST = 01:30 UTC.
        var a1 = await CaseEventsAsync(tenant, "spr-A1");
        var opened = Assert.IsType<CaseOpened>(a1[0].Data);
        Assert.Equal(Instant.FromUtc(2026, 3, 29, 1, 30), opened.At);
        Assert.Equal("SPR-2026-000002", opened.Number.Value);
        Assert.Equal(new GeoPoint(52.5, 13.4), opened.Location!.Point);
        Assert.StartsWith("skipped-local-time: created 2026-03-29T02:30:00 does not exist in Europe/Berlin", Assert.Single(opened.Attributes["import.quality"]), StringComparison.Ordinal);

        // A duplicate with no closed instant ends at its updated instant and points at the original's stream.
        var a2 = await CaseEventsAsync(tenant, "spr-A2");
        Assert.Equal(new CaseMarkedDuplicate(new CaseId("spr-A2"), new CaseId("spr-A1"), null, Instant.FromUtc(2026, 3, 30, 7, 0)), a2[2].Data);
        Assert.Equal(CaseStatus.Duplicate, Fold(a2).Status);
        // Only the duplicate's side is imported (decision 0021): the original's stream is its own row's history.
        Assert.DoesNotContain(a1, e => e.Data is DuplicateCaseMerged);
        Assert.Empty(Assert.IsType<OpenedCase>(Fold(a1)).Duplicates);

        // 25 October 2026 02:30 happened twice in Berlin: the earlier (CEST, UTC+2) is taken. "fax" is no mapped channel.
        var a3 = await CaseEventsAsync(tenant, "spr-A3");
        var opened3 = Assert.IsType<CaseOpened>(a3[0].Data);
        Assert.Equal(Instant.FromUtc(2026, 10, 25, 0, 30), opened3.At);
        Assert.Equal(Channel.Phone, opened3.Channel);
        Assert.Equal(CaseStatus.Cancelled, Fold(a3).Status);
        Assert.Equal(2, opened3.Attributes["import.quality"].Count);
    }

    [Fact]
    public async Task Timestamps_written_with_an_offset_are_imported_as_the_instants_they_name_and_numbered_by_the_citys_date()
    {
        var tenant = NewAgency("springfield");
        var mapping = ImportMapping.Parse(MappingJson.Replace(
            "[ \"yyyy-MM-dd HH:mm:ss\" ]", "[ \"uuuu-MM-dd'T'HH:mm:sso<G>\" ]", StringComparison.Ordinal));
        const string csv = """
            id,created,updated,closed,type,state,via,same_as,where
            C1,2026-12-31T23:30:00Z,,2027-01-02T08:00:00-05:00,Street lights,done,web,,
            C2,2026-10-25T02:30:00+01:00,,,Noise,new,web,,
            C3,2026-10-25 02:30:00,,,Noise,new,web,,
            """;

        var summary = await ImportCsvAsync(csv, mapping, tenant);

        // C3 has no offset, which the one format requires; C2's offset says which of Berlin's two 02:30s it is.
        Assert.Equal((3L, 2L, 0L, 1L), (summary.RowsRead, summary.Imported, summary.Flagged, summary.Rejected));
        Assert.Equal(1, summary.RejectsByRule[QualityRules.UnparseableCreated]);

        // 23:30 UTC on New Year's Eve is 00:30 on 1 January 2027 in Berlin: the case is numbered in 2027.
        var c1 = await CaseEventsAsync(tenant, "spr-C1");
        var opened = Assert.IsType<CaseOpened>(c1[0].Data);
        Assert.Equal(Instant.FromUtc(2026, 12, 31, 23, 30), opened.At);
        Assert.StartsWith("SPR-2027-", opened.Number.Value, StringComparison.Ordinal);
        Assert.False(opened.Attributes.ContainsKey("import.quality"));
        Assert.Equal(Instant.FromUtc(2027, 1, 2, 13, 0), Assert.IsType<CaseClosed>(c1[^1].Data).At);

        var c2 = await CaseEventsAsync(tenant, "spr-C2");
        Assert.Equal(Instant.FromUtc(2026, 10, 25, 1, 30), Assert.IsType<CaseOpened>(c2[0].Data).At);
        Assert.Empty(await CaseEventsAsync(tenant, "spr-C3"));
    }

    [Fact]
    public async Task A_row_whose_history_the_case_rules_refuse_is_rejected_and_nothing_of_it_is_written()
    {
        var tenant = NewAgency("springfield");
        const string csv = """
            id,created,updated,closed,type,state,via,same_as,where
            B1,2026-03-02 10:00:00,2026-03-03 09:00:00,,Street lights,dup,web,,
            B2,2026-03-02 11:00:00,,,Street lights,new,web,,
            """;

        var summary = await ImportCsvAsync(csv, ImportMapping.Parse(MappingJson), tenant);

        // B1 is a duplicate with no original named: a duplicate of itself, which no case may be.
        Assert.Equal((2L, 1L, 1L), (summary.RowsRead, summary.Imported, summary.Rejected));
        Assert.Equal(1, summary.RejectsByRule[QualityRules.RefusedHistory]);
        Assert.Empty(await CaseEventsAsync(tenant, "spr-B1"));
        Assert.NotEmpty(await CaseEventsAsync(tenant, "spr-B2"));
    }

    [Fact]
    public async Task Ids_no_stream_can_have_are_rejected_naming_their_column_and_the_other_rows_are_imported()
    {
        // A DEL in a source id passed the importer's check and made the case id's constructor throw in the reader; a tab
        // or a DEL in the original's id of a duplicate did the same: either stopped the import at that row.
        var tenant = NewAgency("springfield");
        var report = Path.Combine(Path.GetTempPath(), "springfield-ids-" + Guid.NewGuid().ToString("N") + ".report.csv");
        var csv = string.Join('\n',
            "id,created,updated,closed,type,state,via,same_as,where",
            "C\u007F1,2026-03-02 10:00:00,,,Street lights,new,web,,",
            "C2,2026-03-02 10:00:00,2026-03-03 09:00:00,,Street lights,dup,web,\"C\t1\",",
            "C3,2026-03-02 10:00:00,2026-03-03 09:00:00,,Street lights,dup,web,C\u007F1,",
            "C4,2026-03-02 10:00:00,2026-03-03 09:00:00,,Street lights,dup,web," + new string('9', 300) + ",",
            "C5,2026-03-02 11:00:00,,,Street lights,new,web,,") + "\n";
        try
        {
            var summary = await ImportCsvAsync(csv, ImportMapping.Parse(MappingJson), tenant, new ImportOptions { ReportPath = report });

            Assert.Equal((5L, 1L, 4L), (summary.RowsRead, summary.Imported, summary.Rejected));
            Assert.Equal(4, summary.RejectsByRule[QualityRules.InvalidIdentifier]);
            Assert.Equal(
            [
                "row,source_id,disposition,rule,reason",
                "2,C\u007F1,rejected,invalid-identifier,case id 'spr-C\u007F1' is not a valid stream id: it holds the control character U+007F (DEL) at character 6",
                "3,C2,rejected,invalid-identifier,\"same_as 'C\t1' makes the original's case id 'spr-C\t1', which is not a valid stream id: it holds the control character U+0009 at character 6\"",
                "4,C3,rejected,invalid-identifier,\"same_as 'C\u007F1' makes the original's case id 'spr-C\u007F1', which is not a valid stream id: it holds the control character U+007F (DEL) at character 6\"",
                $"5,C4,rejected,invalid-identifier,\"same_as '{new string('9', 200)}…' makes the original's case id 'spr-{new string('9', 196)}…', which is not a valid stream id: it is 304 characters long, and at most 200 are allowed\"",
            ], await File.ReadAllLinesAsync(report, Ct));
            Assert.Equal(1, await StreamCountAsync(tenant));
        }
        finally
        {
            File.Delete(report);
        }
    }
}
