using System.Globalization;
using System.Text;
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
/// The statistics read model (branch <c>readmodels</c>) had not landed when this was written, so the event side is
/// SQL over the event log (what a case summary holds: service, opened, closed and the source due date) rather than the
/// read model's own query. Definitions (both sides): a case counts as opened in the local month of its opening and as
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
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        var header = SplitCsv(lines[0]);
        int Column(string name) => Array.IndexOf(header, name);
        int type = Column("TYPE"), open = Column("OPEN_DT"), target = Column("TARGET_DT"), closed = Column("CLOSED_DT");
        var opened = new Dictionary<string, long>();
        var closings = new Dictionary<string, List<(double Seconds, bool? OnTime)>>();
        foreach (var line in lines.Skip(1))
        {
            var f = SplitCsv(line);
            var openLocal = Local(f[open]);
            var openUtc = ToUtc(openLocal, zone);
            DateTime? closeLocal = f[closed].Length > 0 ? Local(f[closed]) : null;
            if (closeLocal is { } cl && ToUtc(cl, zone) < openUtc)
            {
                continue; // rejected by the mapping (close-before-open)
            }

            var key = "opened|" + f[type] + "|" + openLocal.ToString("yyyy-MM", CultureInfo.InvariantCulture);
            opened[key] = opened.GetValueOrDefault(key) + 1;
            if (closeLocal is { } c && f[Column("CASE_STATUS")] == "Closed")
            {
                var closeUtc = ToUtc(c, zone);
                bool? onTime = f[target].Length > 0 ? closeUtc <= ToUtc(Local(f[target]), zone) : null;
                var closedKey = "closed|" + f[type] + "|" + c.ToString("yyyy-MM", CultureInfo.InvariantCulture);
                if (!closings.TryGetValue(closedKey, out var list))
                {
                    closings[closedKey] = list = [];
                }

                list.Add(((closeUtc - openUtc).TotalSeconds, onTime));
            }
        }

        var figures = opened.ToDictionary(p => p.Key, p => new Figure(p.Value, null, null));
        foreach (var (key, list) in closings)
        {
            var sorted = list.Select(x => x.Seconds).Order().ToList();
            var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
            var withDue = list.Where(x => x.OnTime is not null).ToList();
            double? rate = withDue.Count == 0 ? null : (double)withDue.Count(x => x.OnTime == true) / withDue.Count;
            figures[key] = new Figure(list.Count, median, rate);
        }

        return figures;
    }

    private static DateTime Local(string text) =>
        DateTime.ParseExact(text, "MM/dd/yyyy hh:mm:ss tt", CultureInfo.InvariantCulture, DateTimeStyles.None);

    /// <summary>Wall clock to UTC, by the rule docs/import.md states: a time in a DST gap moves forward by the gap (an
    /// hour here), a time in the overlap takes the earlier instant (the daylight offset, the larger one).</summary>
    private static DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        if (zone.IsInvalidTime(local))
        {
            return TimeZoneInfo.ConvertTimeToUtc(local.AddHours(1), zone);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
    }

    /// <summary>RFC 4180 fields of one line (no embedded newlines in these files).</summary>
    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(ch);
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
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
