using EventCase.Cases.Calendars;
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
using NodaTime;

namespace EventCase.Cases.Tests.ReadModels;

/// <summary>
/// The transparency statistics worked out straight from the raw events with LINQ, without the projection or SQL: the
/// tests' own reading of the definitions in docs/read-models.md.
/// </summary>
internal static class IndependentStatistics
{
    private sealed record Case(
        string Service, Instant Opened, Instant? FirstResolved, Instant? Closed, bool Reopened, int? Satisfaction, bool? MetSla,
        List<(Instant From, Instant? Until)> OpenStretches);

    /// <summary>Every service that has a case, for every period from the one containing <paramref name="from"/> to the one containing <paramref name="to"/>.</summary>
    public static List<TransparencyStatisticsRow> Compute(
        string agency, BusinessCalendar calendar, IReadOnlyList<IReadOnlyList<CaseEvent>> events, StatisticsGranularity granularity, LocalDate from, LocalDate to)
    {
        var cases = events.Select(e => Read(calendar, e)).ToList();
        var zone = calendar.Zone;
        var rows = new List<TransparencyStatisticsRow>();
        foreach (var service in cases.Select(c => c.Service).Distinct().Order(StringComparer.Ordinal))
        {
            var mine = cases.Where(c => c.Service == service).ToList();
            foreach (var (start, end) in PeriodsOf(granularity, from, to))
            {
                var (a, b) = (zone.AtStartOfDay(start).ToInstant(), zone.AtStartOfDay(end).ToInstant());
                bool In(Instant? t) => t is { } x && x >= a && x < b;
                var resolved = mine.Where(c => In(c.FirstResolved)).ToList();
                var calendarHours = resolved.Select(c => (c.FirstResolved!.Value - c.Opened).TotalHours).ToList();
                var businessHours = resolved.Select(c => calendar.BusinessTimeBetween(c.Opened, c.FirstResolved!.Value).TotalHours).ToList();
                var scores = resolved.Where(c => c.Satisfaction is not null).Select(c => (double)c.Satisfaction!.Value).ToList();
                rows.Add(new TransparencyStatisticsRow(
                    agency,
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
                    scores.Count == 0 ? null : scores.Average(),
                    scores.Count));
            }
        }

        return rows;
    }

    /// <summary>Asserts that <paramref name="actual"/> has the rows of <paramref name="expected"/>, every column equal (figures to 9 decimals).</summary>
    public static void AssertSame(IReadOnlyList<TransparencyStatisticsRow> expected, IReadOnlyList<TransparencyStatisticsRow> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal((e.Agency, e.Service, e.Granularity, e.PeriodStart, e.PeriodEnd), (a.Agency, a.Service, a.Granularity, a.PeriodStart, a.PeriodEnd));
            Assert.True(
                (e.Opened, e.Resolved, e.Closed, e.BacklogAtEnd, e.SatisfactionResponses) == (a.Opened, a.Resolved, a.Closed, a.BacklogAtEnd, a.SatisfactionResponses),
                $"{a.Service} {a.PeriodStart}: expected {(e.Opened, e.Resolved, e.Closed, e.BacklogAtEnd, e.SatisfactionResponses)}, got {(a.Opened, a.Resolved, a.Closed, a.BacklogAtEnd, a.SatisfactionResponses)}");
            AssertClose(e.MedianResolutionHours, a.MedianResolutionHours);
            AssertClose(e.P90ResolutionHours, a.P90ResolutionHours);
            AssertClose(e.MedianBusinessResolutionHours, a.MedianBusinessResolutionHours);
            AssertClose(e.P90BusinessResolutionHours, a.P90BusinessResolutionHours);
            AssertClose(e.SlaComplianceRate, a.SlaComplianceRate);
            AssertClose(e.ReopenRate, a.ReopenRate);
            AssertClose(e.AverageSatisfaction, a.AverageSatisfaction);
        }
    }

    private static void AssertClose(double? expected, double? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is { } e)
        {
            Assert.Equal(e, actual!.Value, 9);
        }
    }

    /// <summary>Days; ISO weeks, Monday to Sunday; calendar months.</summary>
    private static IEnumerable<(LocalDate, LocalDate)> PeriodsOf(StatisticsGranularity granularity, LocalDate from, LocalDate to)
    {
        var start = granularity switch
        {
            StatisticsGranularity.Day => from,
            StatisticsGranularity.Week => from.PlusDays(IsoDayOfWeek.Monday - from.DayOfWeek),
            _ => new LocalDate(from.Year, from.Month, 1),
        };
        while (start <= to)
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

    private static Case Read(BusinessCalendar calendar, IReadOnlyList<CaseEvent> events)
    {
        var opened = (CaseOpened)events[0];
        var firstResolved = events.OfType<CaseResolved>().FirstOrDefault();
        bool? met = null;
        if (firstResolved is not null)
        {
            var upToResolution = events.TakeWhile(e => !ReferenceEquals(e, firstResolved)).Append(firstResolved).ToList();
            met = SlaClock.Compute(opened.Sla, calendar, SlaTimeline.FromHistory(upToResolution), firstResolved.At).BreachedAt is null;
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
