using System.Globalization;
using System.Text.RegularExpressions;
using EventCase.Cases.Calendars;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.EventStore.Projections.Testing;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Statistics;

/// <summary>
/// The check against the source through the shipped transparency statistics read model (<see cref="CaseFactsProjection"/>
/// and <see cref="TransparencyStatisticsQueries"/>): after importing a 1-in-20 sample of Boston 2015, the monthly figures
/// per service — opened, resolved, closed, median resolution hours and SLA compliance — equal the figures computed from
/// the CSV by <see cref="SourceFigures"/>, which shares nothing with the importer.
/// </summary>
/// <remarks>
/// The agency's calendar is open around the clock, so an imported SLA target (business time from the opening to the
/// source due date) falls due exactly at the source due instant (docs/import.md). A resolution meets the SLA when it
/// comes at or before the due instant (a deadline is met by work finished at it); rows without a due date carry the
/// mapping's default target of 365 calendar days, which the CSV side applies too.
/// </remarks>
public sealed class ReadModelStatisticsCheckTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly BusinessCalendar AlwaysOpen = new(
        DateTimeZoneProviders.Tzdb["America/New_York"],
        Enum.GetValues<IsoDayOfWeek>().Where(d => d != IsoDayOfWeek.None)
            .ToDictionary(d => d, IReadOnlyList<WorkingPeriod> (_) => [new WorkingPeriod(LocalTime.Midnight, LocalTime.Midnight)]));

    [Fact]
    public async Task The_monthly_transparency_statistics_of_an_imported_sample_equal_the_figures_computed_from_the_csv()
    {
        var sample = Path.Combine(Path.GetTempPath(), "boston-sample-" + Guid.NewGuid().ToString("N") + ".csv");
        try
        {
            var lines = File.ReadLines(SourceFiles.PathOf(SourceFiles.Boston)).Where((_, i) => i == 0 || i % 20 == 0).ToList();
            await File.WriteAllLinesAsync(sample, lines, Ct);
            var tenant = NewAgency("boston");
            await ImportAsync(sample, SourceFiles.MappingFor(SourceFiles.Boston), tenant);

            var calendars = AgencyCalendars.Single(AlwaysOpen);
            var tester = await ProjectionTester.CreateAsync(DataSource, CaseEvents.CreateRegistry(), new CaseFactsProjection(calendars), cancellationToken: Ct);
            await tester.RebuildAsync(Ct);
            var statistics = await new TransparencyStatisticsQueries(tester.Store, calendars)
                .ComputeAsync(tenant.Value, StatisticsGranularity.Month, new LocalDate(2015, 1, 1), new LocalDate(2016, 1, 31), Ct);

            var cases = SourceCase.FromCsv(lines);
            var opened = cases.GroupBy(c => (Slug(c.Type), SourceCase.Month(c.OpenLocal))).ToDictionary(g => g.Key, g => (long)g.Count());
            var closed = cases.Where(c => c.Closed is not null).GroupBy(c => (Slug(c.Type), SourceCase.Month(c.ClosedLocal!.Value)))
                .ToDictionary(g => g.Key, g => (Count: (long)g.Count(),
                    MedianHours: SourceCase.Median(g.Select(c => (c.Closed!.Value - c.Opened).TotalHours)),
                    MetSla: (double?)g.Count(c => c.Closed <= (c.Due ?? DefaultDue(c))) / g.Count()));
            Assert.Equal(cases.Select(c => Slug(c.Type)).Distinct().Order(StringComparer.Ordinal), statistics.Select(s => s.Service).Distinct().Order(StringComparer.Ordinal));
            var compared = 0;
            foreach (var row in statistics)
            {
                var key = (row.Service, row.PeriodStart.ToString("yyyy-MM", CultureInfo.InvariantCulture));
                var expectedOpened = opened.GetValueOrDefault(key);
                var expectedClosed = closed.TryGetValue(key, out var c) ? c : (0L, null, null);
                Assert.True(expectedOpened == row.Opened, $"{key}: opened {expectedOpened} in the CSV, {row.Opened} in the statistics");
                Assert.True(expectedClosed.Count == row.Closed && expectedClosed.Count == row.Resolved,
                    $"{key}: closed {expectedClosed.Count} in the CSV, {row.Closed} closed / {row.Resolved} resolved in the statistics");
                Assert.True(Same(expectedClosed.MedianHours, row.MedianResolutionHours), $"{key}: median {expectedClosed.MedianHours} h in the CSV, {row.MedianResolutionHours} h in the statistics");
                Assert.True(Same(expectedClosed.MetSla, row.SlaComplianceRate), $"{key}: SLA met {expectedClosed.MetSla} in the CSV, {row.SlaComplianceRate} in the statistics");
                compared += row.Opened > 0 || row.Closed > 0 ? 1 : 0;
            }

            Assert.True(compared > 1_000, $"only {compared} non-empty figures compared");
        }
        finally
        {
            File.Delete(sample);
        }
    }

    /// <summary>The service code rule of docs/import.md, written out here: lower case, runs of other characters than
    /// letters, digits, '_' and '.' become one '-', trimmed, at most 64.</summary>
    private static string Slug(string type)
    {
        var slug = Regex.Replace(type.ToLowerInvariant(), "[^a-z0-9_.]+", "-").Trim('-');
        return slug.Length > 64 ? slug[..64].TrimEnd('-') : slug;
    }

    /// <summary>The mapping's default target for rows without TARGET_DT: 365 calendar days, same local time.</summary>
    private static DateTime DefaultDue(SourceCase c) => SourceCase.ToUtc(c.OpenLocal.AddDays(365));

    private static bool Same(double? a, double? b) => a is null ? b is null : b is not null && Math.Abs(a.Value - b.Value) < 1e-6;
}
