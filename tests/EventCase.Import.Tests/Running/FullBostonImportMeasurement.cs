using System.Globalization;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.EventStore;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;

namespace EventCase.Import.Tests.Running;

/// <summary>
/// The whole Boston 2015 file (121,145 rows) on the embedded PostgreSQL, with wall time and events/s: explicit, so it
/// runs only when asked for (<c>dotnet test --filter FullBostonImportMeasurement -- --explicit only</c>, or
/// <c>EventCase.Import.Tests -method "*FullBoston*" -explicit only</c>). The summary goes to the test output and to
/// <c>artifacts/import/</c> next to the rejects report.
/// </summary>
public sealed class FullBostonImportMeasurement(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact(Explicit = true)]
    public async Task Full_Boston_file_without_inline_projections()
    {
        await MeasureAsync(Store, "no-inline");
    }

    [Fact(Explicit = true)]
    public async Task Full_Boston_file_without_inline_projections_with_auto_prepared_statements()
    {
        // The append statement is the same text for every stream: with Npgsql's automatic preparation PostgreSQL parses
        // and plans it once per connection instead of once per stream. Measured: no gain (the time is spent inside
        // append_events, per stream), so the importer does not ask for it.
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(ConnectionString + ";Max Auto Prepare=16;Auto Prepare Min Usages=2");
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await MeasureAsync(store, "no-inline-auto-prepare");
    }

    [Fact(Explicit = true)]
    public async Task Full_Boston_file_with_the_inline_case_number_lookup()
    {
        var store = new PostgresEventStore(DataSource, CaseEvents.CreateSerializer(), projections: [new CaseNumberLookupProjection()]);
        await store.MigrateAsync(Ct);
        await MeasureAsync(store, "inline-case-numbers");
    }

    /// <summary>The default options, or IMPORT_BATCH / IMPORT_WRITERS from the environment when set (for tuning).</summary>
    private static ImportOptions Options(string? reportPath)
    {
        var defaults = new ImportOptions { ReportPath = reportPath };
        return defaults with
        {
            BatchSize = int.TryParse(Environment.GetEnvironmentVariable("IMPORT_BATCH"), NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : defaults.BatchSize,
            Writers = int.TryParse(Environment.GetEnvironmentVariable("IMPORT_WRITERS"), NumberStyles.None, CultureInfo.InvariantCulture, out var w) ? w : defaults.Writers,
        };
    }

    private static async Task MeasureAsync(PostgresEventStore store, string label)
    {
        var output = Path.Combine(AppContext.BaseDirectory, "import-measurements");
        Directory.CreateDirectory(output);
        var tenant = NewAgency("boston");
        var importer = new CsvImporter(store);
        var mapping = Environment.GetEnvironmentVariable("IMPORT_MAPPING") is { Length: > 0 } custom
            ? await Import.Mapping.ImportMapping.LoadAsync(custom, Ct)
            : SourceFiles.MappingFor(SourceFiles.Boston);
        var summary = await importer.ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), mapping, tenant,
            Options(Path.Combine(output, $"boston-{label}-report.csv")), Ct);
        var again = Environment.GetEnvironmentVariable("IMPORT_SKIP_RERUN") == "1"
            ? summary with { AlreadyImported = summary.Imported + summary.Flagged, EventsWritten = 0 }
            : await importer.ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), mapping, tenant, cancellationToken: Ct);

        var text = string.Create(CultureInfo.InvariantCulture,
            $"""
            {label} (batch {Options(null).BatchSize}, writers {Options(null).Writers}): rows read {summary.RowsRead}, imported {summary.Imported}, flagged {summary.Flagged}, rejected {summary.Rejected}, already imported {summary.AlreadyImported}
            events written {summary.EventsWritten} in {summary.Elapsed.TotalSeconds:0.00} s = {summary.EventsPerSecond:0} events/s ({summary.RowsPerSecond:0} rows/s)
            rejects by rule: {string.Join(", ", summary.RejectsByRule.Select(r => $"{r.Key} {r.Value}"))}
            flags by rule: {string.Join(", ", summary.FlagsByRule.Select(r => $"{r.Key} {r.Value}"))}
            re-run: rows read {again.RowsRead}, already imported {again.AlreadyImported}, rejected {again.Rejected}, events written {again.EventsWritten} in {again.Elapsed.TotalSeconds:0.00} s

            """);
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        await File.AppendAllTextAsync(Path.Combine(output, $"boston-{label}-summary.txt"), text, Ct);

        Assert.Equal(summary.RowsRead, summary.Imported + summary.Flagged + summary.Rejected);
        Assert.Equal(summary.Imported + summary.Flagged, again.AlreadyImported);
        Assert.Equal(0, again.EventsWritten);
    }
}
