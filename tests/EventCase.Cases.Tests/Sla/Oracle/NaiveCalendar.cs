using EventCase.Cases.Calendars;
using NodaTime;

namespace EventCase.Cases.Tests.Sla.Oracle;

/// <summary>One working period of the oracle's calendars, in minutes since local midnight; an end of 1440 is 24:00.</summary>
internal sealed record OraclePeriod(IsoDayOfWeek Day, int StartMinute, int EndMinute)
{
    public override string ToString() => $"{Day} {StartMinute / 60:00}:{StartMinute % 60:00}–{EndMinute / 60:00}:{EndMinute % 60:00}";
}

/// <summary>
/// A calendar as the tests describe it: the oracle reads it directly and <see cref="ToProduct"/> hands the same
/// description to the product, so the two never share a computation.
/// </summary>
internal sealed record OracleCalendarSpec(string ZoneId, IReadOnlyList<OraclePeriod> Periods, IReadOnlyList<LocalDate> Holidays)
{
    public BusinessCalendar ToProduct()
    {
        var hours = Periods
            .GroupBy(p => p.Day)
            .ToDictionary(
                g => g.Key,
                g => (IReadOnlyList<WorkingPeriod>)[.. g.Select(p => new WorkingPeriod(
                    LocalTime.FromMinutesSinceMidnight(p.StartMinute),
                    p.EndMinute == 1440 ? LocalTime.Midnight : LocalTime.FromMinutesSinceMidnight(p.EndMinute)))]);
        return new BusinessCalendar(DateTimeZoneProviders.Tzdb[ZoneId], hours, Holidays);
    }

    public override string ToString() =>
        $"{ZoneId} [{string.Join(", ", Periods)}] holidays [{string.Join(", ", Holidays.Order())}]";
}

/// <summary>
/// A deliberately naive business calendar: it finds where a local time falls by trying every offset the zone has
/// around it and walking minute by minute, and says whether one minute is working time by looking at every working period of that day and its neighbours.
/// Slow and obvious; it shares nothing with <see cref="BusinessCalendar"/> but NodaTime's instant → local time
/// conversion. Every instant it is asked about must be a whole minute (the tests' instants, working periods and the
/// zones' offsets since 1970 all are).
/// <para>
/// The semantics it encodes, from the product's documentation: a working period is one stretch of real time from its
/// opening to its closing; an opening at a local time that happens twice is the first occurrence, a closing the second;
/// a local time skipped by a clock change is shifted forward by the gap (read with the offset before it); 24:00 is the
/// first instant of the next day.
/// </para>
/// </summary>
internal sealed class NaiveCalendar(OracleCalendarSpec spec)
{
    private static readonly Duration Minute = Duration.FromMinutes(1);
    private readonly DateTimeZone _zone = DateTimeZoneProviders.Tzdb[spec.ZoneId];
    private readonly HashSet<LocalDate> _holidays = [.. spec.Holidays];
    private readonly Dictionary<LocalDate, List<(Instant Start, Instant End)>> _stretches = [];

    public OracleCalendarSpec Spec => spec;

    public DateTimeZone Zone => _zone;

    /// <summary>True when the minute starting at <paramref name="t"/> is working time.</summary>
    public bool IsWorkingMinute(Instant t)
    {
        var date = t.InZone(_zone).Date;
        // A day's stretches are meant to stay inside the day; looking at the neighbours too means the oracle does not
        // take that on trust.
        for (var day = date.PlusDays(-1); day <= date.PlusDays(1); day = day.PlusDays(1))
        {
            foreach (var (start, end) in StretchesOn(day))
            {
                if (start <= t && t < end)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The real-time stretches of work on <paramref name="date"/> (none on a holiday).</summary>
    public List<(Instant Start, Instant End)> StretchesOn(LocalDate date)
    {
        if (_stretches.TryGetValue(date, out var cached))
        {
            return cached;
        }

        var stretches = new List<(Instant, Instant)>();
        if (!_holidays.Contains(date))
        {
            foreach (var period in spec.Periods.Where(p => p.Day == date.DayOfWeek))
            {
                var start = Opening(date.AtMidnight().PlusMinutes(period.StartMinute));
                var end = period.EndMinute == 1440
                    ? FirstInstantAtOrAfter(date.PlusDays(1).AtMidnight())
                    : Closing(date.AtMidnight().PlusMinutes(period.EndMinute));
                if (end > start)
                {
                    stretches.Add((start, end));
                }
            }
        }

        _stretches[date] = stretches;
        return stretches;
    }

    /// <summary>The instant of a local opening time: its first occurrence, or shifted forward over a gap.</summary>
    public Instant Opening(LocalDateTime local)
    {
        var occurrences = Occurrences(local);
        return occurrences.Count > 0 ? occurrences[0] : ShiftedOverGap(local);
    }

    /// <summary>The instant of a local closing time: its last occurrence, or shifted forward over a gap.</summary>
    public Instant Closing(LocalDateTime local)
    {
        var occurrences = Occurrences(local);
        return occurrences.Count > 0 ? occurrences[^1] : ShiftedOverGap(local);
    }

    /// <summary>
    /// Every instant whose local time is <paramref name="local"/>: it is <c>local − offset</c> for one of the offsets
    /// the zone has within fifteen hours either side (sampled every quarter of an hour), if that instant really has it.
    /// </summary>
    private List<Instant> Occurrences(LocalDateTime local) =>
        [.. OffsetsAround(local)
            .Select(offset => local.InUtc().ToInstant() - Duration.FromSeconds(offset.Seconds))
            .Where(t => t.InZone(_zone).LocalDateTime == local)
            .Distinct()
            .Order()];

    /// <summary>The first minute whose local time is at or after <paramref name="local"/>, walking forward minute by minute.</summary>
    public Instant FirstInstantAtOrAfter(LocalDateTime local)
    {
        // Before local − (the largest offset) every local time is earlier than local: start the walk there.
        var t = local.InUtc().ToInstant() - Duration.FromSeconds(OffsetsAround(local).Max(o => o.Seconds)) - Duration.FromHours(1);
        for (var steps = 0; steps < 6 * 60; steps++, t += Minute)
        {
            if (t.InZone(_zone).LocalDateTime >= local)
            {
                return t;
            }
        }

        throw new InvalidOperationException($"No instant at or after {local} in {_zone.Id}.");
    }

    private IEnumerable<Offset> OffsetsAround(LocalDateTime local)
    {
        var guess = local.InUtc().ToInstant();
        return Enumerable.Range(-60, 121).Select(quarter => (guess + Duration.FromMinutes(15 * quarter)).InZone(_zone).Offset).Distinct();
    }

    /// <summary>A skipped local time read with the offset in force just before the clocks jumped over it.</summary>
    private Instant ShiftedOverGap(LocalDateTime local)
    {
        var jump = FirstInstantAtOrAfter(local);
        var offsetBefore = (jump - Minute).InZone(_zone).Offset;
        return local.InUtc().ToInstant() - Duration.FromSeconds(offsetBefore.Seconds);
    }
}

/// <summary>The oracle's calendars over time: each in force from its instant (the first from the beginning).</summary>
internal sealed class NaiveCalendarHistory
{
    private readonly List<(Instant From, NaiveCalendar Calendar)> _changes;

    public NaiveCalendarHistory(NaiveCalendar first, params (Instant From, NaiveCalendar Calendar)[] later)
    {
        _changes = [(Instant.MinValue, first), .. later];
        for (var i = 1; i < _changes.Count; i++)
        {
            if (_changes[i].From <= _changes[i - 1].From)
            {
                throw new ArgumentException("The oracle takes its changes in order.", nameof(later));
            }
        }
    }

    public IReadOnlyList<(Instant From, NaiveCalendar Calendar)> Changes => _changes;

    public NaiveCalendar At(Instant t)
    {
        var current = _changes[0].Calendar;
        foreach (var (from, calendar) in _changes)
        {
            if (from <= t)
            {
                current = calendar;
            }
        }

        return current;
    }

    /// <summary>Working time in [<paramref name="from"/>, <paramref name="to"/>), minute by minute on the calendar in force.</summary>
    public Duration WorkingTimeBetween(Instant from, Instant to)
    {
        var minutes = 0;
        for (var t = from; t < to; t += Duration.FromMinutes(1))
        {
            minutes += At(t).IsWorkingMinute(t) ? 1 : 0;
        }

        return Duration.FromMinutes(minutes);
    }

    /// <summary>The history as known at <paramref name="t"/>: the changes made after it left out.</summary>
    public NaiveCalendarHistory KnownAt(Instant t) =>
        new(_changes[0].Calendar, [.. _changes.Skip(1).Where(c => c.From <= t)]);

    public CalendarHistory ToProduct()
    {
        var history = CalendarHistory.Of(_changes[0].Calendar.Spec.ToProduct());
        foreach (var (from, calendar) in _changes.Skip(1))
        {
            history = history.Then(from, calendar.Spec.ToProduct());
        }

        return history;
    }

    public override string ToString() => string.Join(" then ", _changes.Select(c => c.From == Instant.MinValue ? c.Calendar.Spec.ToString() : $"from {c.From}: {c.Calendar.Spec}"));
}
