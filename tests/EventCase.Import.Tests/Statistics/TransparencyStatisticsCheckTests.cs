using System.Globalization;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.Import.Tests.Statistics;

/// <summary>
/// The check against the source: after importing a sample of Boston 2015 (every 20th row, so every case type and every
/// month is in it), the transparency figures computed from the imported events — cases opened and closed per service
/// per month, median resolution time, on-time rate against the source due date — equal the same figures computed
/// straight from the CSV by an independent computation here (its own CSV splitting, BCL date parsing and
/// <see cref="TimeZoneInfo"/>; nothing of the importer).
/// </summary>
/// <remarks>
/// The event side here is SQL over the event log (service, opened, closed and the source due date as recorded in
/// <c>import.source_due</c>), so the on-time rate is exactly "closed at or before the source due date" over the cases
/// that have one; <see cref="ReadModelStatisticsCheckTests"/> makes the same check through the shipped read model. Definitions (both sides): a case counts as opened in the local month of its opening and as
/// closed in the local month of its closing; the median resolution time of a service and closing month is the median
/// (interpolated for an even count) of closed − opened in seconds; the on-time rate is the share of those closed cases
/// that have a source due date and closed at or before it. Rows the mapping rejects (closed before opened) are left
/// out on both sides.
/// </remarks>
public sealed class TransparencyStatisticsCheckTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private const int Every = 20;
    private const string Zone = "America/New_York";

    [Fact]
    public async Task Opened_closed_median_resolution_and_on_time_rate_per_service_and_month_equal_the_figures_computed_from_the_csv()
    {
        var sample = Path.Combine(Path.GetTempPath(), "boston-sample-" + Guid.NewGuid().ToString("N") + ".csv");
        try
        {
            var lines = File.ReadLines(SourceFiles.PathOf(SourceFiles.Boston)).Where((_, i) => i == 0 || i % Every == 0).ToList();
            await File.WriteAllLinesAsync(sample, lines, Ct);

            var tenant = NewAgency("boston");
            var summary = await ImportAsync(sample, SourceFiles.MappingFor(SourceFiles.Boston), tenant);
            Assert.Equal(lines.Count - 1, summary.RowsRead);

            var expected = FromCsv(lines);
            var actual = await FromEventsAsync(tenant.Value);

            Assert.True(expected.Count > 1_000, $"only {expected.Count} figures");
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var (key, figure) in expected)
            {
                var got = actual[key];
                Assert.True(figure.Count == got.Count, $"{key}: {figure.Count} cases in the CSV, {got.Count} in the events");
                Assert.True(Same(figure.MedianSeconds, got.MedianSeconds), $"{key}: median {figure.MedianSeconds} s in the CSV, {got.MedianSeconds} s in the events");
                Assert.True(Same(figure.OnTimeRate, got.OnTimeRate), $"{key}: on-time {figure.OnTimeRate} in the CSV, {got.OnTimeRate} in the events");
            }
        }
        finally
        {
            File.Delete(sample);
        }
    }

    private static bool Same(double? a, double? b) => a is null ? b is null : b is not null && Math.Abs(a.Value - b.Value) < 1e-6;

    private sealed record Figure(long Count, double? MedianSeconds, double? OnTimeRate);

    /// <summary>The figures from the CSV lines, with no help from the importer.</summary>
    private static Dictionary<string, Figure> FromCsv(List<string> lines)
    {
        var cases = SourceCase.FromCsv(lines);
        var figures = cases.GroupBy(c => "opened|" + c.Type + "|" + SourceCase.Month(c.OpenLocal))
            .ToDictionary(g => g.Key, g => new Figure(g.LongCount(), null, null));
        foreach (var g in cases.Where(c => c.Closed is not null).GroupBy(c => "closed|" + c.Type + "|" + SourceCase.Month(c.ClosedLocal!.Value)))
        {
            var withDue = g.Where(c => c.Due is not null).ToList();
            figures[g.Key] = new Figure(g.LongCount(), SourceCase.Median(g.Select(c => (c.Closed!.Value - c.Opened).TotalSeconds)),
                withDue.Count == 0 ? null : (double)withDue.Count(c => c.Closed <= c.Due) / withDue.Count);
        }

        return figures;
    }

    /// <summary>The same figures from the imported events.</summary>
    private async Task<Dictionary<string, Figure>> FromEventsAsync(string tenant)
    {
        const string sql = """
            WITH opened AS (
                SELECT stream_id,
                       data -> 'attributes' -> 'import.service' ->> 0 AS service,
                       (data ->> 'at')::timestamptz AS opened_at,
                       (data -> 'attributes' -> 'import.source_due' ->> 0)::timestamptz AS due
                  FROM eventcase.events
                 WHERE tenant_id = $1 AND event_type = 'case.opened.v1'),
            closed AS (
                SELECT stream_id, (data ->> 'at')::timestamptz AS closed_at
                  FROM eventcase.events
                 WHERE tenant_id = $1 AND event_type = 'case.closed.v1')
            SELECT 'opened|' || service || '|' || to_char(opened_at AT TIME ZONE $2, 'YYYY-MM'), count(*), NULL::float8, NULL::float8
              FROM opened
             GROUP BY service, to_char(opened_at AT TIME ZONE $2, 'YYYY-MM')
            UNION ALL
            SELECT 'closed|' || o.service || '|' || to_char(c.closed_at AT TIME ZONE $2, 'YYYY-MM'), count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.closed_at - o.opened_at)::float8),
                   avg(CASE WHEN o.due IS NULL THEN NULL WHEN c.closed_at <= o.due THEN 1.0 ELSE 0.0 END)::float8
              FROM opened o JOIN closed c USING (stream_id)
             GROUP BY o.service, to_char(c.closed_at AT TIME ZONE $2, 'YYYY-MM')
            """;
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Zone });
        var figures = new Dictionary<string, Figure>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            figures[reader.GetString(0)] = new Figure(reader.GetInt64(1),
                reader.IsDBNull(2) ? null : reader.GetDouble(2), reader.IsDBNull(3) ? null : reader.GetDouble(3));
        }

        return figures;
    }
}
