using NodaTime;
using NodaTime.TimeZones;

namespace EventCase.Cases.Calendars;

/// <summary>
/// An agency's business calendar: an IANA time zone, weekly working hours (possibly split, e.g. 08:00–12:00 and
/// 13:00–17:00) and holidays. Answers how much business time lies between two instants and when a given amount of
/// business time, started at an instant, runs out.
/// <para>
/// Business time is measured as real elapsed time between instants, so a working period that spans a clock change
/// counts the hours that actually passed (an 00:00–04:00 period on a spring-forward night is three hours long).
/// Local times that do not exist are shifted forward; ambiguous period starts take the earlier instant and ambiguous
/// period ends the later one. Periods that these rules make overlap in real time (one shifted out of a gap into the
/// next, or both sides of a repeated hour) are merged, so that no minute counts twice.
/// </para>
/// <para>
/// Long spans are computed arithmetically: whole weeks count as the nominal week's business time, corrected for the
/// holidays and clock changes inside them (found by binary search and from the zone's transitions), so cost grows with
/// the number of holidays and transitions in range, not with the number of days or hours.
/// </para>
/// Instances are immutable and thread safe.
/// </summary>
public sealed class BusinessCalendar
{
    private static readonly ZoneLocalMappingResolver StartResolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnForwardShifted);

    private static readonly ZoneLocalMappingResolver EndResolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnLater, Resolvers.ReturnForwardShifted);

    // Indexed by (int)IsoDayOfWeek: 1 = Monday … 7 = Sunday. Index 0 is unused.
    private readonly WorkingPeriod[][] _periodsByDay = new WorkingPeriod[8][];
    private readonly Duration[] _nominalByDay = new Duration[8];
    private readonly LocalDate[] _sortedHolidays;
    private readonly HashSet<LocalDate> _holidays;

    /// <summary>Creates a calendar.</summary>
    /// <param name="zone">The agency's time zone.</param>
    /// <param name="weeklyHours">Working periods per day of the week; days not present are non-working. Periods within a
    /// day must be non-empty and must not overlap.</param>
    /// <param name="holidays">Dates (in the agency's zone) with no working time at all.</param>
    /// <exception cref="ArgumentException">The hours overlap, a period is empty, or the week has no working time at all.</exception>
    public BusinessCalendar(
        DateTimeZone zone,
        IReadOnlyDictionary<IsoDayOfWeek, IReadOnlyList<WorkingPeriod>> weeklyHours,
        IEnumerable<LocalDate>? holidays = null)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(weeklyHours);
        Zone = zone;
        var nominalWeek = Duration.Zero;
        for (var day = 1; day <= 7; day++)
        {
            var periods = weeklyHours.TryGetValue((IsoDayOfWeek)day, out var given)
                ? given.OrderBy(p => p.StartNanos).ToArray()
                : [];
            for (var i = 0; i < periods.Length; i++)
            {
                if (periods[i].ProblemOn((IsoDayOfWeek)day) is { } problem)
                {
                    throw new ArgumentException(problem, nameof(weeklyHours));
                }

                if (i > 0 && periods[i].StartNanos < periods[i - 1].EndNanos)
                {
                    throw new ArgumentException($"Working periods {periods[i - 1]} and {periods[i]} on {(IsoDayOfWeek)day} overlap.", nameof(weeklyHours));
                }
            }

            _periodsByDay[day] = periods;
            _nominalByDay[day] = periods.Aggregate(Duration.Zero, (sum, p) => sum + p.NominalLength);
            nominalWeek += _nominalByDay[day];
        }

        if (nominalWeek == Duration.Zero)
        {
            throw new ArgumentException("A business calendar needs some working time in the week.", nameof(weeklyHours));
        }

        NominalWeek = nominalWeek;
        _holidays = [.. holidays ?? []];
        _sortedHolidays = [.. _holidays.Order()];
        WeeklyHours = Enumerable.Range(1, 7)
            .Where(d => _periodsByDay[d].Length > 0)
            .ToDictionary(d => (IsoDayOfWeek)d, d => (IReadOnlyList<WorkingPeriod>)_periodsByDay[d]);
    }

    /// <summary>A calendar with the same periods every Monday to Friday and nothing at weekends.</summary>
    /// <param name="zoneId">An IANA time zone id, e.g. <c>America/New_York</c>.</param>
    /// <param name="periods">The working periods of each weekday.</param>
    /// <param name="holidays">Holidays, if any.</param>
    /// <exception cref="DateTimeZoneNotFoundException">The zone id is unknown.</exception>
    public static BusinessCalendar Weekdays(string zoneId, IReadOnlyList<WorkingPeriod> periods, IEnumerable<LocalDate>? holidays = null)
    {
        var hours = new Dictionary<IsoDayOfWeek, IReadOnlyList<WorkingPeriod>>();
        for (var day = IsoDayOfWeek.Monday; day <= IsoDayOfWeek.Friday; day++)
        {
            hours[day] = periods;
        }

        return new BusinessCalendar(DateTimeZoneProviders.Tzdb[zoneId], hours, holidays);
    }

    /// <summary>The agency's time zone.</summary>
    public DateTimeZone Zone { get; }

    /// <summary>Working periods per day of the week, sorted; non-working days are absent.</summary>
    public IReadOnlyDictionary<IsoDayOfWeek, IReadOnlyList<WorkingPeriod>> WeeklyHours { get; }

    /// <summary>The holidays.</summary>
    public IReadOnlySet<LocalDate> Holidays => _holidays;

    /// <summary>Business time in a week without holidays or clock changes.</summary>
    public Duration NominalWeek { get; }

    /// <summary>True when <paramref name="instant"/> falls inside a working period of a working day.</summary>
    public bool IsWorkingTime(Instant instant)
    {
        var date = instant.InZone(Zone).Date;
        if (_holidays.Contains(date))
        {
            return false;
        }

        foreach (var period in _periodsByDay[(int)date.DayOfWeek])
        {
            var (start, end) = Map(date, period);
            if (instant >= start && instant < end)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The business time of a whole day (zero on holidays and non-working days).</summary>
    public Duration BusinessTimeOn(LocalDate date) => DayTime(date, null, null);

    /// <summary>
    /// The business time between <paramref name="from"/> and <paramref name="to"/>; zero when <paramref name="to"/>
    /// is not after <paramref name="from"/>.
    /// </summary>
    public Duration BusinessTimeBetween(Instant from, Instant to)
    {
        if (to <= from)
        {
            return Duration.Zero;
        }

        var fromDate = from.InZone(Zone).Date;
        var toDate = to.InZone(Zone).Date;
        if (fromDate == toDate)
        {
            return DayTime(fromDate, from, to);
        }

        return DayTime(fromDate, from, null)
            + WholeDaysTime(fromDate.PlusDays(1), toDate)
            + DayTime(toDate, null, to);
    }

    /// <summary>
    /// The instant at which <paramref name="amount"/> of business time, counted from <paramref name="start"/>, has
    /// passed: the due instant of a business-hours target. A start outside working hours counts from the next working
    /// period. An amount that runs out exactly at closing time is due at closing time, not at the next opening.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The amount is negative, or runs out after the last date the calendar
    /// can count (the end of 9999).</exception>
    public Instant AddBusinessTime(Instant start, Duration amount)
    {
        if (amount < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "Business time to add must not be negative.");
        }

        if (amount == Duration.Zero)
        {
            return start;
        }

        try
        {
            return AddPositiveBusinessTime(start, amount);
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            // Dates and the week arithmetic overflow past the end of 9999 (a target of years on a calendar of minutes a
            // week, a source system's "never" imported as a due date): one sentence, not NodaTime's parameter names.
            throw new ArgumentOutOfRangeException(
                nameof(amount), amount, $"{amount} of business time from {start} runs out after 9999, the last year the calendar can count.");
        }
    }

    private Instant AddPositiveBusinessTime(Instant start, Duration amount)
    {
        var date = start.InZone(Zone).Date;
        var remaining = amount;
        if (TryConsumeDay(date, start, ref remaining, out var due))
        {
            return due;
        }

        date = date.PlusDays(1);

        // Skip whole weeks arithmetically, keeping at least one nominal week in hand so that the day-by-day walk below
        // always finishes the job (holidays and clock changes make a real week differ from the nominal one).
        var weekNanos = NominalWeek.ToInt64Nanoseconds();
        while (true)
        {
            var weeks = (remaining.ToInt64Nanoseconds() / weekNanos) - 1;
            if (weeks < 1)
            {
                break;
            }

            var end = date.PlusDays(checked((int)(weeks * 7)));
            var time = WholeDaysTime(date, end);
            if (time >= remaining)
            {
                break;
            }

            remaining -= time;
            date = end;
        }

        // The loop terminates: the week has working time (checked in the constructor) and holidays are finite.
        while (true)
        {
            if (TryConsumeDay(date, null, ref remaining, out due))
            {
                return due;
            }

            date = date.PlusDays(1);
        }
    }

    /// <summary>Business time of the whole days in [<paramref name="from"/>, <paramref name="toExclusive"/>).</summary>
    internal Duration WholeDaysTime(LocalDate from, LocalDate toExclusive)
    {
        if (toExclusive <= from)
        {
            return Duration.Zero;
        }

        var days = Period.DaysBetween(from, toExclusive);
        var weeks = days / 7;
        var total = NominalWeek * weeks;
        var tail = from.PlusDays(weeks * 7);
        for (var i = 0; i < days % 7; i++)
        {
            total += _nominalByDay[(int)tail.PlusDays(i).DayOfWeek];
        }

        // Holidays inside the range contribute nothing.
        var index = Array.BinarySearch(_sortedHolidays, from);
        if (index < 0)
        {
            index = ~index;
        }

        for (; index < _sortedHolidays.Length && _sortedHolidays[index] < toExclusive; index++)
        {
            total -= _nominalByDay[(int)_sortedHolidays[index].DayOfWeek];
        }

        // Days with a clock change count what really elapsed; only those days can differ from nominal.
        foreach (var date in TransitionDates(from, toExclusive))
        {
            if (!_holidays.Contains(date))
            {
                total += DayTime(date, null, null) - _nominalByDay[(int)date.DayOfWeek];
            }
        }

        return total;
    }

    private IEnumerable<LocalDate> TransitionDates(LocalDate from, LocalDate toExclusive)
    {
        // Look from a day early: a change at midnight starts exactly at the range's first instant (the day it shortens
        // or lengthens is in range even though the transition is on its boundary). Dates are filtered below.
        var rangeStart = StartOf(from) - Duration.FromDays(1);
        var rangeEnd = StartOf(toExclusive);
        LocalDate? last = null;
        foreach (var interval in Zone.GetZoneIntervals(rangeStart, rangeEnd))
        {
            if (!interval.HasStart || interval.Start <= rangeStart)
            {
                continue;
            }

            // The wall-clock dates just before and at the transition, and any between: a change at midnight touches
            // both, and one across the date line skips a date whole (Apia, 30 December 2011) or repeats one.
            var before = (interval.Start - Duration.Epsilon).InZone(Zone).Date;
            var after = interval.Start.InZone(Zone).Date;
            for (var date = LocalDate.Min(before, after); date <= LocalDate.Max(before, after); date = date.PlusDays(1))
            {
                if (date >= from && date < toExclusive && (last is null || date > last))
                {
                    last = date;
                    yield return date;
                }
            }
        }
    }

    private Duration DayTime(LocalDate date, Instant? clipFrom, Instant? clipTo)
    {
        var periods = _periodsByDay[(int)date.DayOfWeek];
        Span<Stretch> buffer = periods.Length <= StackStretches ? stackalloc Stretch[StackStretches] : new Stretch[periods.Length];
        var total = Duration.Zero;
        foreach (var stretch in buffer[..StretchesOn(date, buffer)])
        {
            var (start, end) = stretch;
            if (clipFrom is { } f && f > start)
            {
                start = f;
            }

            if (clipTo is { } t && t < end)
            {
                end = t;
            }

            if (end > start)
            {
                total += end - start;
            }
        }

        return total;
    }

    private bool TryConsumeDay(LocalDate date, Instant? clipFrom, ref Duration remaining, out Instant due)
    {
        due = default;
        var periods = _periodsByDay[(int)date.DayOfWeek];
        Span<Stretch> buffer = periods.Length <= StackStretches ? stackalloc Stretch[StackStretches] : new Stretch[periods.Length];
        foreach (var stretch in buffer[..StretchesOn(date, buffer)])
        {
            var (start, end) = stretch;
            if (clipFrom is { } f && f > start)
            {
                start = f;
            }

            if (end <= start)
            {
                continue;
            }

            var available = end - start;
            if (available >= remaining)
            {
                due = start + remaining;
                return true;
            }

            remaining -= available;
        }

        return false;
    }

    private const int StackStretches = 16;

    /// <summary>One working period of one day in real time.</summary>
    private readonly record struct Stretch(Instant Start, Instant End);

    /// <summary>
    /// The day's working periods in real time, in order and without overlaps, written to <paramref name="buffer"/> (as
    /// long as the day's periods at least); returns how many. None on a holiday.
    /// </summary>
    private int StretchesOn(LocalDate date, Span<Stretch> buffer)
    {
        if (_holidays.Contains(date) || SkippedWhole(date))
        {
            return 0;
        }

        var count = 0;
        foreach (var period in _periodsByDay[(int)date.DayOfWeek])
        {
            var (start, end) = Map(date, period);
            if (end <= start)
            {
                continue;
            }

            // Periods that follow each other in local time need not in real time on a day with a clock change: one that
            // opens in a gap is shifted forward by the gap (08:30 on a 08:00→09:00 day opens at 09:30, after a 09:00
            // period), and in a repeated hour a closing is the second occurrence and an opening the first. Sorted here
            // and merged below, so that a minute of work counts once. Days have a handful of periods, almost always in
            // order already.
            var i = count++;
            while (i > 0 && buffer[i - 1].Start > start)
            {
                buffer[i] = buffer[i - 1];
                i--;
            }

            buffer[i] = new Stretch(start, end);
        }

        var merged = 0;
        for (var i = 0; i < count; i++)
        {
            if (merged > 0 && buffer[i].Start <= buffer[merged - 1].End)
            {
                if (buffer[i].End > buffer[merged - 1].End)
                {
                    buffer[merged - 1] = buffer[merged - 1] with { End = buffer[i].End };
                }
            }
            else
            {
                buffer[merged++] = buffer[i];
            }
        }

        return merged;
    }

    private (Instant Start, Instant End) Map(LocalDate date, WorkingPeriod period)
    {
        var start = InstantAwayFromOffsetChanges(date + period.Start)
            ?? Zone.ResolveLocal(date + period.Start, StartResolver).ToInstant();
        var end = period.End == LocalTime.Midnight
            ? InstantAwayFromOffsetChanges(date.PlusDays(1).AtMidnight()) ?? StartOf(date.PlusDays(1))
            : InstantAwayFromOffsetChanges(date + period.End) ?? Zone.ResolveLocal(date + period.End, EndResolver).ToInstant();
        return (start, end);
    }

    /// <summary>
    /// The instant of <paramref name="local"/> when the zone's offset does not change within two days of it, where
    /// every resolver gives the same answer; null near a change, for the resolvers to decide. SLA clocks map working
    /// periods for every event a read model folds, and resolving allocates while this does not.
    /// </summary>
    private Instant? InstantAwayFromOffsetChanges(LocalDateTime local)
    {
        // Offsets are within ±18 hours, so the instant is within a day of the local time read as UTC: an interval
        // that covers two days either side of that guess holds the instant and its only offset.
        var guess = local.InUtc().ToInstant();
        var interval = Zone.GetZoneInterval(guess);
        return (!interval.HasStart || interval.Start < guess - OffsetChangeMargin) && (!interval.HasEnd || interval.End > guess + OffsetChangeMargin)
            ? local.WithOffset(interval.WallOffset).ToInstant()
            : null;
    }

    private static readonly Duration OffsetChangeMargin = Duration.FromDays(2);

    /// <summary>
    /// Whether the zone skipped <paramref name="date"/> whole, as Apia did 30 December 2011 crossing the date line: it
    /// has no instant, so no working time, where mapping its periods forward would count them on the next date's clock.
    /// </summary>
    private bool SkippedWhole(LocalDate date) =>
        InstantAwayFromOffsetChanges(date.AtMidnight()) is null && SkippedDates.IsSkippedWhole(Zone, date);

    private Instant StartOf(LocalDate date) => SkippedDates.StartOf(Zone, date);
}
