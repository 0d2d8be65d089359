using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore.Projections;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class CaseFactsFixture : ScriptedStoreFixture
{
    protected override Projection CreateProjection() => new CaseFactsProjection(BostonCalendars);
}

public sealed class TransparencyStatisticsTests(CaseFactsFixture fixture) : IClassFixture<CaseFactsFixture>
{
    private static readonly LocalDate From = new(2026, 3, 1);
    private static readonly LocalDate To = new(2026, 4, 5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TransparencyStatisticsQueries Queries => new(fixture.Tester.Store, BostonCalendars);

    public static TheoryData<StatisticsGranularity> Granularities() => [StatisticsGranularity.Day, StatisticsGranularity.Week, StatisticsGranularity.Month];

    [Theory]
    [MemberData(nameof(Granularities))]
    public async Task Statistics_equal_figures_computed_independently_from_the_raw_events(StatisticsGranularity granularity)
    {
        var actual = await Queries.ComputeAsync(Boston, granularity, From, To, Ct);

        var expected = Independent.Statistics(granularity);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal((e.Service, e.PeriodStart, e.PeriodEnd), (a.Service, a.PeriodStart, a.PeriodEnd));
            Assert.True(
                (e.Opened, e.Resolved, e.Closed, e.BacklogAtEnd) == (a.Opened, a.Resolved, a.Closed, a.BacklogAtEnd),
                $"{a.Service} {a.PeriodStart}: expected {(e.Opened, e.Resolved, e.Closed, e.BacklogAtEnd)}, got {(a.Opened, a.Resolved, a.Closed, a.BacklogAtEnd)}");
            AssertClose(e.MedianResolutionHours, a.MedianResolutionHours);
            AssertClose(e.P90ResolutionHours, a.P90ResolutionHours);
            AssertClose(e.MedianBusinessResolutionHours, a.MedianBusinessResolutionHours);
            AssertClose(e.P90BusinessResolutionHours, a.P90BusinessResolutionHours);
            AssertClose(e.SlaComplianceRate, a.SlaComplianceRate);
            AssertClose(e.ReopenRate, a.ReopenRate);
            AssertClose(e.AverageSatisfaction, a.AverageSatisfaction);
        }
    }

    [Fact]
    public async Task Monthly_statistics_use_the_agency_time_zone_and_match_the_golden_files_in_JSON_and_CSV()
    {
        var monthly = await Queries.ComputeAsync(Boston, StatisticsGranularity.Month, From, To, Ct);

        // case-009 opened at 22:00 on 31 March in Boston (02:00Z on 1 April): a March case.
        var marchPotholes = monthly.Single(r => r.Service == "pothole" && r.PeriodStart == new LocalDate(2026, 3, 1));
        Assert.Equal((7L, 3L, 1L, 2L), (marchPotholes.Opened, marchPotholes.Resolved, marchPotholes.Closed, marchPotholes.BacklogAtEnd));
        // First resolutions in March: case-001 11 h, case-008 14 h and case-002 60 h of business time (its wait on the
        // citizen included; it missed its SLA); satisfaction 5, 4 and 2.
        Assert.Equal(14, marchPotholes.MedianBusinessResolutionHours);
        Assert.Equal(2.0 / 3, marchPotholes.SlaComplianceRate!.Value, 9);
        Assert.Equal(1.0 / 3, marchPotholes.ReopenRate!.Value, 9);
        Assert.Equal(11.0 / 3, marchPotholes.AverageSatisfaction!.Value, 9);
        await Golden.VerifyAsync(TransparencyReport.ToJson(monthly), "monthly-json");
        await Golden.VerifyAsync(TransparencyReport.ToCsv(monthly).Split("\r\n"), "monthly-csv");
    }

    [Fact]
    public void CSV_quotes_cells_with_commas_and_quotes_and_leaves_missing_figures_empty()
    {
        var row = new TransparencyStatisticsRow("boston", "pot,\"hole\"", StatisticsGranularity.Day, new LocalDate(2026, 3, 1), new LocalDate(2026, 3, 2),
            1, 0, 0, 1, null, null, null, null, null, null, null);

        var csv = TransparencyReport.ToCsv([row]).Split("\r\n");

        Assert.Equal("boston,\"pot,\"\"hole\"\"\",day,2026-03-01,2026-03-02,1,0,0,1,,,,,,,", csv[1]);
    }

    [Theory]
    [InlineData("-A1+B1", "'-A1+B1")]
    [InlineData("=cmd", "'=cmd")]
    [InlineData("+1", "'+1")]
    [InlineData("@SUM", "'@SUM")]
    [InlineData("pot-hole", "pot-hole")]
    public void CSV_keeps_a_cell_a_spreadsheet_would_run_as_a_formula_as_text(string service, string cell)
    {
        var row = new TransparencyStatisticsRow("-agency", service, StatisticsGranularity.Day, new LocalDate(2026, 3, 1), new LocalDate(2026, 3, 2),
            1, 0, 0, 1, null, null, null, null, null, null, null);

        var csv = TransparencyReport.ToCsv([row]).Split("\r\n");

        Assert.Equal($"'-agency,{cell},day,2026-03-01,2026-03-02,1,0,0,1,,,,,,,", csv[1]);
    }

    private static void AssertClose(double? expected, double? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is { } e)
        {
            Assert.Equal(e, actual!.Value, 9);
        }
    }

    /// <summary>
    /// The statistics worked out straight from the scripted events with LINQ, without the projection: the test's own
    /// reading of the definitions in docs/read-models.md.
    /// </summary>
    private static class Independent
    {
        private sealed record Case(
            string Service, Instant Opened, Instant? FirstResolved, Instant? Closed, bool Reopened, int? Satisfaction, bool? MetSla,
            List<(Instant From, Instant? Until)> OpenStretches);

        public static List<TransparencyStatisticsRow> Statistics(StatisticsGranularity granularity)
        {
            var cases = ByCase().Select(g => Read([.. g])).ToList();
            var zone = Calendar.Zone;
            var rows = new List<TransparencyStatisticsRow>();
            foreach (var service in cases.Select(c => c.Service).Distinct().Order(StringComparer.Ordinal))
            {
                var mine = cases.Where(c => c.Service == service).ToList();
                foreach (var (start, end) in PeriodsOf(granularity))
                {
                    var (a, b) = (zone.AtStartOfDay(start).ToInstant(), zone.AtStartOfDay(end).ToInstant());
                    bool In(Instant? t) => t is { } x && x >= a && x < b;
                    var resolved = mine.Where(c => In(c.FirstResolved)).ToList();
                    var calendarHours = resolved.Select(c => (c.FirstResolved!.Value - c.Opened).TotalHours).ToList();
                    var businessHours = resolved.Select(c => Calendar.BusinessTimeBetween(c.Opened, c.FirstResolved!.Value).TotalHours).ToList();
                    var scores = resolved.Where(c => c.Satisfaction is not null).Select(c => (double)c.Satisfaction!.Value).ToList();
                    rows.Add(new TransparencyStatisticsRow(
                        Boston,
                        service,
                        granularity,
                        start,
                        end,
                        mine.Count(c => In(c.Opened)),
                        resolved.Count,
                        mine.Count(c => In(c.Closed)),
                        mine.Count(c => c.OpenStretches.Any(s => s.From < b && (s.Until is null || s.Until >= b))),
                        Percentile(calendarHours, 0.5),
                        Percentile(calendarHours, 0.9),
                        Percentile(businessHours, 0.5),
                        Percentile(businessHours, 0.9),
                        resolved.Count == 0 ? null : resolved.Count(c => c.MetSla == true) / (double)resolved.Count,
                        resolved.Count == 0 ? null : resolved.Count(c => c.Reopened) / (double)resolved.Count,
                        scores.Count == 0 ? null : scores.Average()));
                }
            }

            return rows;
        }

        private static IEnumerable<(LocalDate, LocalDate)> PeriodsOf(StatisticsGranularity granularity)
        {
            var start = granularity switch
            {
                StatisticsGranularity.Day => From,
                StatisticsGranularity.Week => new LocalDate(2026, 2, 23), // the Monday on or before 1 March 2026 (a Sunday)
                _ => From,
            };
            while (start <= To)
            {
                var end = granularity switch
                {
                    StatisticsGranularity.Day => start + Period.FromDays(1),
                    StatisticsGranularity.Week => start + Period.FromDays(7),
                    _ => start + Period.FromMonths(1),
                };
                yield return (start, end);
                start = end;
            }
        }

        private static Case Read(List<CaseEvent> events)
        {
            var opened = (CaseOpened)events[0];
            var firstResolved = events.OfType<CaseResolved>().FirstOrDefault();
            bool? met = null;
            if (firstResolved is not null)
            {
                var upToResolution = events.TakeWhile(e => !ReferenceEquals(e, firstResolved)).Append(firstResolved).ToList();
                met = SlaClock.Compute(opened.Sla, Calendar, SlaTimeline.FromHistory(upToResolution), firstResolved.At).BreachedAt is null;
            }

            // The case is open from opening until resolved, cancelled, merged or transferred; a reopen opens it again.
            var stretches = new List<(Instant From, Instant? Until)> { (opened.At, null) };
            foreach (var e in events.Skip(1))
            {
                var isOpen = stretches[^1].Until is null;
                if (isOpen && e is CaseResolved or CaseCancelled or CaseMarkedDuplicate or CaseTransferred)
                {
                    stretches[^1] = (stretches[^1].From, e.At);
                }
                else if (!isOpen && e is CaseReopened)
                {
                    stretches.Add((e.At, null));
                }
            }

            return new Case(
                opened.Service.Value,
                opened.At,
                firstResolved?.At,
                events.OfType<CaseClosed>().FirstOrDefault()?.At,
                events.OfType<CaseReopened>().Any(),
                events.OfType<FeedbackRecorded>().LastOrDefault()?.Satisfaction,
                met,
                stretches);
        }

        /// <summary>Linear interpolation between closest ranks, as PostgreSQL's percentile_cont.</summary>
        private static double? Percentile(List<double> values, double p)
        {
            if (values.Count == 0)
            {
                return null;
            }

            var sorted = values.Order().ToList();
            var rank = p * (sorted.Count - 1);
            var low = (int)Math.Floor(rank);
            var high = (int)Math.Ceiling(rank);
            return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
        }
    }
}
